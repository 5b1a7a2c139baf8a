"""Sessions: who is logged in, who is connected, and the events between them."""
