"""One module per spec tag, one function per operationId; each calls the core and shapes the reply."""
