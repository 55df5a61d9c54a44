"""The booker's geo for CRM owner routing: the submission's stored edge headers, read as ISO codes."""

from sqlalchemy.ext.asyncio import AsyncSession

from crm.config import CrmConfig
from crm.salesforce.geo import geo_from_headers
from store import crm as crm_store


async def response_geo(session: AsyncSession, response_id: int) -> dict[str, str | None]:
    """``{"country", "region"}`` of a routing response's submitter ({} when no geo header came)."""
    headers = await crm_store.request_geo(session, response_id)
    if not headers:
        return {}
    config = CrmConfig.model_validate(await crm_store.get_config(session))
    geo = geo_from_headers(headers, config.geo_headers)
    return {"country": geo.country, "region": geo.region}
