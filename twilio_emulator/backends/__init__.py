"""One backend per Twilio resource, with methods named after the API's operations."""
