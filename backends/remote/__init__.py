"""HTTP adapters: one module per provider wire format."""
