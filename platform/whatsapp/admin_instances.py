"""Admin for WhatsApp instances and Evolution servers."""
