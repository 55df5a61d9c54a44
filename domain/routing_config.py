"""Routing configuration as operators write it: attributes with the users who hold their options.

``Configuration.attributes`` lists these; the store keeps the attribute (``domain.routing_forms.Attribute``)
and its user assignments (``AttributeAssignment``) apart, as the routing context reads them.
"""

from pydantic import Field, model_validator

from domain.base import CamelModel
from domain.routing_forms import Attribute, AttributeAssignment
from domain.text_bounds import NAME


class AttributeHolder(CamelModel):
    """A user holding an option of the attribute (select types) or a value (TEXT, NUMBER)."""

    user_id: int = Field(ge=1)
    option_id: str | None = Field(default=None, max_length=NAME)
    value: str | None = Field(default=None, max_length=NAME)
    weight: int | None = Field(default=None, ge=0)


class ConfiguredAttribute(Attribute):
    """An attribute with its options and the users assigned to them."""

    assignments: list[AttributeHolder] = []

    @model_validator(mode="after")
    def _assignments_fit(self) -> "ConfiguredAttribute":
        options = {o.id for o in self.options}
        selects = self.type in ("SINGLE_SELECT", "MULTI_SELECT")
        for i, holder in enumerate(self.assignments):
            where = f"assignments.{i}"
            if selects and holder.option_id not in options:
                raise ValueError(f"{where}.optionId: {holder.option_id!r} is not an option of attribute {self.id!r}")
            if not selects and holder.value is None:
                raise ValueError(f"{where}.value: a {self.type} attribute is assigned a value, not an option")
            if not selects and holder.option_id is not None:
                raise ValueError(f"{where}.optionId: a {self.type} attribute has no options")
        return self

    def attribute(self) -> Attribute:
        """The attribute without its assignments."""
        return Attribute.model_validate(self.model_dump(exclude={"assignments"}))

    def user_assignments(self) -> list[AttributeAssignment]:
        return [
            AttributeAssignment(
                user_id=h.user_id, attribute_id=self.id, option_id=h.option_id, value=h.value, weight=h.weight
            )
            for h in self.assignments
        ]

    @classmethod
    def of(cls, attribute: Attribute, assignments: list[AttributeAssignment]) -> "ConfiguredAttribute":
        holders = [
            AttributeHolder(user_id=a.user_id, option_id=a.option_id, value=a.value, weight=a.weight)
            for a in assignments
            if a.attribute_id == attribute.id
        ]
        return cls.model_validate(attribute.model_dump() | {"assignments": [h.model_dump() for h in holders]})
