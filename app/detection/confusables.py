"""Look-alike letters that pupils (and spam) swap in to dodge filters, mapped to the Latin
letter they imitate. Compatibility normalisation already folds fullwidth and mathematical
letters; these are the ones it leaves alone because they are real letters of other scripts.

Kept deliberately small and visual (after Unicode TR39 confusables, Latin targets only), so a
Russian or Greek sentence is not turned into English words wholesale by accident of shape:
only single look-alike letters embedded among Latin ones matter in practice, and the matcher
only fires on whole phrases from the library.
"""

from __future__ import annotations

_PAIRS = {
    # Cyrillic
    "а": "a", "в": "b", "с": "c", "ԁ": "d", "е": "e", "ё": "e", "һ": "h", "і": "i", "ї": "i",
    "ј": "j", "к": "k", "ӏ": "l", "м": "m", "н": "h", "о": "o", "р": "p", "ԛ": "q", "г": "r",
    "ѕ": "s", "т": "t", "у": "y", "ѵ": "v", "ԝ": "w", "х": "x", "ү": "y", "з": "3", "ь": "b",
    "п": "n", "и": "u",
    # Greek
    "α": "a", "β": "b", "ε": "e", "η": "n", "ι": "i", "κ": "k", "ν": "v", "ο": "o", "ρ": "p",
    "τ": "t", "υ": "u", "χ": "x", "γ": "y", "ϲ": "c", "ω": "w", "μ": "u",
    # Latin oddities
    "ı": "i", "ɩ": "i", "ȷ": "j", "ɡ": "g", "ʀ": "r", "ʏ": "y", "ᴀ": "a", "ʙ": "b", "ᴄ": "c",
    "ᴅ": "d", "ᴇ": "e", "ɢ": "g", "ʜ": "h", "ɪ": "i", "ᴊ": "j", "ᴋ": "k", "ʟ": "l", "ᴍ": "m",
    "ɴ": "n", "ᴏ": "o", "ᴘ": "p", "ꜱ": "s", "ᴛ": "t", "ᴜ": "u", "ᴠ": "v", "ᴡ": "w", "ᴢ": "z",
    "\u2019": "'", "\u2018": "'", "\u02bc": "'",
    "ø": "o", "ð": "d", "đ": "d", "ħ": "h", "ł": "l", "ŧ": "t", "æ": "ae", "œ": "oe",
}

CONFUSABLES: dict[str, str] = {**_PAIRS, **{k.upper(): v for k, v in _PAIRS.items()
                                            if k.upper() != k and len(k.upper()) == 1}}
