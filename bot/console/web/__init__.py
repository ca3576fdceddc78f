"""The console's routes, one module per area; bot.console.app assembles them."""
