"""The scaled topology on one machine: PostgreSQL, Redis, nginx, several Rasa workers.

`python -m ops run-scaled` (`make run-scaled`) starts the same product as `make run`, laid out
as it would be over several hosts: nginx in front of N Rasa servers and M action servers, the
tracker store, the account service and the console on PostgreSQL, Rasa's Redis lock store so
that one conversation's messages are handled one at a time whichever worker takes them.
"""
