"""Where metrics are served and traces are sent."""

from pydantic import BaseModel, ConfigDict, Field


class TelemetrySettings(BaseModel):
    model_config = ConfigDict(extra="ignore", populate_by_name=True)

    metrics_host: str = Field(
        default="127.0.0.1",
        alias="BOOKFLOW_METRICS_HOST",
        description="Interface of the --metrics-port endpoint (0.0.0.0 lets a Prometheus on another host scrape).",
    )
    otlp_endpoint: str | None = Field(
        default=None,
        pattern=r"^https?://",
        alias="OTEL_EXPORTER_OTLP_ENDPOINT",
        description="OTLP/HTTP collector; when set, workflows, activities and client calls are traced there.",
    )
    service_name: str = Field(
        default="bookflow", alias="OTEL_SERVICE_NAME", description="The service name on exported spans."
    )
