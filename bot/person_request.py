"""The customer's request for a person, as the assistant, its actions and the console share it.

Once the assistant has handed a conversation to the support team (action_handoff opened a
ticket), the `person_request` slot is `waiting` and the customer is held for a person:
bot.dialogue.holding acknowledges each message instead of answering it, and a Rasa reminder
(`WAIT_OVER_INTENT`, scheduled by the action) tells the customer when nobody took the
conversation in time. The customer can withdraw the request (`withdrawn`) or ask for the
answer by email (`by_email`); an agent's hand-back in the console clears the slot.
"""

# Metadata on a bot message that a person wrote in the agents' console (the connectors send it as
# a human reply, e.g. Messenger's HUMAN_AGENT tag; the console tells it from the assistant's).
AGENT_KEY = "console_agent"

SLOT = "person_request"
WAITING = "waiting"
WITHDRAWN = "withdrawn"
BY_EMAIL = "by_email"
STATES = (WAITING, WITHDRAWN, BY_EMAIL)

# The intent of the reminder that fires when nobody took the conversation in time. Not in the
# domain (the intents are a contract): only reminders trigger it, and only the holding policy reads it.
WAIT_OVER_INTENT = "EXTERNAL_person_wait_over"
# The entity bot.nlu.person_choice adds while a customer waits: what they chose instead.
CHOICE_ENTITY = "person_choice"
CHOOSE_ASSISTANT = "assistant"
CHOOSE_EMAIL = "email"


def reminder_name(conversation_id: str) -> str:
    """The wait's reminder, one per conversation (Rasa's scheduler replaces jobs of the same name)."""
    return f"person_wait:{conversation_id}"
