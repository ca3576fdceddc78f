"""What the Rasa process runs beyond Rasa itself: changes to how it serves, started by
`python -m bot.runtime`, and the classes endpoints.yml names by module path."""
