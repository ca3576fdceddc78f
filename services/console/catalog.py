"""What the customer is told when a person joins or leaves, in their language.

These are not domain responses (every domain response must be used by a rule,
and no rule sends these): the console sends them itself as bot utterances
through Rasa's HTTP API. The conversation's `language` slot picks the text;
anything else falls back to English.
"""

from bot.languages import DEFAULT_LANGUAGE

MESSAGES: dict[str, dict[str, str]] = {
    "joined": {
        "en": "A member of our support team has joined the conversation and will answer you here.",
        "ru": "К разговору присоединился сотрудник службы поддержки, он ответит вам здесь.",
        "fr": "Un membre de notre équipe d'assistance a rejoint la conversation et vous répondra ici.",
    },
    "left": {
        "en": "Our support team member has left the conversation. I'm the assistant again: "
        "write to me if you need anything else.",
        "ru": "Сотрудник службы поддержки вышел из разговора. С вами снова ассистент: "
        "напишите, если понадобится что-то ещё.",
        "fr": "Le membre de notre équipe d'assistance a quitté la conversation. C'est à nouveau "
        "l'assistant : écrivez-moi si vous avez besoin d'autre chose.",
    },
}


def message(key: str, language: str) -> str:
    """The text `key` in `language`, English when the language is unknown."""
    texts = MESSAGES[key]
    return texts.get(language) or texts[DEFAULT_LANGUAGE]
