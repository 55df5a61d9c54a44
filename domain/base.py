"""The base model of every boundary type: snake_case in Python, camelCase on the wire (as Cal.com)."""

from pydantic import BaseModel, ConfigDict
from pydantic.alias_generators import to_camel


class CamelModel(BaseModel):
    """A model that reads and writes Cal.com's camelCase names and also accepts its own field names."""

    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True, extra="forbid")

    def wire(self) -> dict:
        """The JSON-ready, camelCase form of this model."""
        return self.model_dump(mode="json", by_alias=True)
