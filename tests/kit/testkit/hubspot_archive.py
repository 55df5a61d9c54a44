"""The HubSpot emulator plus association removal (v4 ``batch/archive``), which a seat leaving a meeting uses.

A subclass rather than a route of ``testkit.hubspot``'s own table (which belongs to the CRM suites): the
request is recorded and authorized as every other, and the associations go both ways, as HubSpot's do.
"""

import re
from typing import Any

from testkit.hubspot import ApiError, HubSpotEmulator, RecordedRequest, _batch_inputs, _error_body

ARCHIVE = re.compile(r"/crm/v4/associations/(?P<from_type>\w+)/(?P<to_type>\w+)/batch/archive")


class HubSpotEmulatorWithArchive(HubSpotEmulator):
    def _route(self, request: RecordedRequest) -> tuple[int, Any, dict[str, str]]:
        found = ARCHIVE.fullmatch(request.path)
        if request.method != "POST" or found is None:
            return super()._route(request)
        with self._lock:
            self.requests.append(request)
            try:
                self._authorize(request)
                for item in _batch_inputs(request.body):
                    self._dissociate(found["from_type"], str(item["from"]["id"]), found["to_type"], item["to"])
            except ApiError as error:
                return error.status, _error_body(error.category, error.message), error.headers
        return 204, None, {}

    def _dissociate(self, from_type: str, from_id: str, to_type: str, targets: list[dict[str, Any]]) -> None:
        gone = {str(t["id"]) for t in targets}

        def linked(a: Any) -> bool:
            forward = (a.from_type, a.from_id, a.to_type) == (from_type, from_id, to_type) and a.to_id in gone
            backward = (a.from_type, a.to_id, a.to_type) == (to_type, from_id, from_type) and a.from_id in gone
            return forward or backward

        self.state.associations = [a for a in self.state.associations if not linked(a)]
