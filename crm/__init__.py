"""CRM adapters (Salesforce, HubSpot), pure account resolution, and field mappings for CRM admins."""
