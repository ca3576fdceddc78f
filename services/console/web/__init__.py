"""The console's routes, one module per area; services.console.app assembles them."""
