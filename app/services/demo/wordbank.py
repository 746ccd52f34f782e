"""Benign text for the demo school: the surfaces incidents come from and the filler around them.

`content` builds incident contexts from the `*_CONTEXTS` templates (`{p}` is the matched phrase,
`{a}`/`{b}` first names, `{h}` a handle) and the `*_SURFACES` (app, window-title format, URL
format). `screens` draws the filler lines around a context so a screenshot looks like a real
window. Every URL is under the reserved example.com/.org/.net domains (RFC 2606), every handle
and group name is invented, and the filler is ordinary school-day chatter.
"""

from __future__ import annotations

# Hand-wrapped: the formatter would put each short string on its own line.
# fmt: off
Surface = tuple[str, str, str | None]  # app, window-title format, URL format (None: desktop)

CHAT_CONTEXTS: tuple[str, ...] = (
    "{a}: u there?\n{b}: {p}",
    "{a}: {p}",
    "{a}: {p} lol\n{b}: thats not funny",
    "{a}: wyd\n{b}: {p}",
    "{a}: {p}\n{b}: ??",
    "{a}: ok listen\n{a}: {p}",
    '{b}: someone just sent me "{p}"\n{a}: screenshot it',
    "{a}: {p} fr\n{b}: stop",
    "{a}: after school?\n{b}: {p}",
    "{a}: did you see the group chat\n{b}: yeah {p}",
    "{a}: {p}",
    "{a}: {p} and dont tell anyone",
)
SEARCH_QUERIES: tuple[str, ...] = (
    "{p}", "{p}", "{p}", "{p} uk", "{p} meaning", "{p} forum", "{p} help", "{p} video",
)
DOCUMENT_CONTEXTS: tuple[str, ...] = (
    'English coursework draft: the message just said "{p}" and she put her phone away.',
    "PSHE research notes - {p} - what the law says and where to get help",
    'Things people said to me this week: "{p}"',
    "Notes to self: {p}",
    'Story draft, chapter 2: "{p}," he typed, then deleted it.',
    "Draft message (not sent): {p}",
)
SOCIAL_CONTEXTS: tuple[str, ...] = (
    "{h}: {p}\n14 likes - 3 replies",
    "{h} replied to your comment: {p}",
    "{h}: {p}",
    "Comment from {h}: {p}",
    "{h}: lol {p}\n2 likes",
)

CHAT_SURFACES: tuple[Surface, ...] = (
    ("Teams", "Chat | {peer} | Microsoft Teams", None),
    ("Discord", "#general | {peer} - Discord", None),
    ("Instagram (web)", "Chats - {peer} - Instagram", "https://social.example.com/direct/t/{n}"),
    ("Chrome", "{peer} - Messages - Google Chrome", "https://chat.example.com/c/{n}"),
    ("Edge", "{peer} | Messenger - Microsoft Edge", "https://messenger.example.net/t/{n}"),
)
SEARCH_SURFACES: tuple[Surface, ...] = (
    ("Chrome", "{q} - Search - Google Chrome", "https://search.example.com/search?q={qq}"),
    ("Edge", "{q} - Search - Microsoft Edge", "https://www.example.org/search?q={qq}&form=QBLH"),
    ("Chrome", "{q} - Videos - Google Chrome",
     "https://video.example.net/results?search_query={qq}"),
)
DOCUMENT_SURFACES: tuple[Surface, ...] = (
    ("Microsoft Word", "{doc}.docx - Word", None),
    ("Chrome", "{doc} - Docs - Google Chrome", "https://docs.example.com/document/d/{n}/edit"),
    ("Edge", "{doc}.docx - Word - Microsoft Edge", "https://office.example.com/edit?id={n}"),
)
SOCIAL_SURFACES: tuple[Surface, ...] = (
    ("Instagram (web)", "Instagram", "https://social.example.com/p/{n}/"),
    ("Chrome", "Comments - Student Forum - Google Chrome", "https://forum.example.org/t/{n}"),
    ("Edge", "Home / Feed - Microsoft Edge", "https://feed.example.net/home"),
)

GROUP_CHATS: tuple[str, ...] = (
    "Year 9 Maths", "Football squad", "Science revision", "Form 10K", "Gaming crew",
    "Netball team", "DofE group", "Drama club", "Bus home", "History project",
)
DOCUMENT_NAMES: tuple[str, ...] = (
    "English coursework", "PSHE research", "My notes", "Story draft", "History essay",
    "Homework planner", "Untitled document",
)
HANDLES: tuple[str, ...] = (
    "@moonlit.fox", "@quietstorm_22", "@pixel_penguin", "@not.a.robot9", "@blue_lagoon88",
    "@sk8r_bean", "@lemon.drizzle", "@mintchoc_07", "@the_real_zed", "@cloudy.daze",
    "@northern_owl", "@toast_enjoyer", "@frogs_r_cool", "@rainy.tuesday", "@galaxy_gal_x",
)

CHAT_FILLER: tuple[str, ...] = (
    "has anyone done the maths homework yet", "what page is the science worksheet on",
    "did u see the match last night", "are we still going to the park on saturday",
    "miss said the test is next week not friday", "can someone send the french vocab",
    "lol that video", "im so tired", "who's got PE first", "canteen has pizza today",
    "my mum says i can come", "what time does the bus leave", "brb dinner",
    "did you finish the history essay", "that new game update is so good",
    "forgot my calculator again", "see you in form", "football training is cancelled",
    "happy birthday!!", "is the library open at lunch", "ok", "haha", "same",
    "we need to pick a topic for the project", "can i borrow your charger tomorrow",
)
SIDEBAR_PREVIEWS: tuple[str, ...] = (
    "see you tomorrow", "ok", "sent the notes", "lol", "what time?", "thanks!",
    "you: on my way", "did you get it", "homework due friday", "good game",
)
SEARCH_RESULTS: tuple[tuple[str, str, str], ...] = (
    ("Support for young people - talk to someone today", "https://help.example.org",
     "Free, confidential support by phone, chat or email. You don't have to be in crisis."),
    ("Staying safe online: advice for teenagers", "https://www.example.org/online-safety",
     "What to do if something online worries you, and how to report it."),
    ("Forum: questions and answers", "https://forum.example.net/questions",
     "Thousands of answers from the community. Sign in to ask your own question."),
    ("Dictionary: meanings and definitions", "https://dictionary.example.com",
     "Look up words, slang and phrases, with examples of how they are used."),
    ("News: latest stories", "https://news.example.com",
     "Top stories from the UK and around the world, updated every hour."),
    ("Video results", "https://video.example.net",
     "Watch clips and playlists. Some results may be hidden by SafeSearch."),
    ("Report a concern", "https://report.example.org",
     "If you are worried about a child, you can report it here. It only takes a minute."),
)
DOCUMENT_FILLER: tuple[str, ...] = (
    "The causes of the First World War are usually grouped into militarism, alliances, "
    "imperialism and nationalism.",
    "In this essay I will explain how the writer uses language to build tension.",
    "Photosynthesis takes place in the chloroplasts and needs light, water and carbon "
    "dioxide.",
    "Homework: finish questions 4 to 9 and revise the key words for Friday's quiz.",
    "My target for this term is to hand in every piece of coursework on time.",
    "Our group will present on renewable energy: wind, solar and tidal power.",
    "Remember to bring PE kit on Tuesday and Thursday.",
)
FEED_FILLER: tuple[tuple[str, str], ...] = (
    ("@art_club_corner", "Our end-of-term exhibition opens on Thursday, come and see!"),
    ("@weekend_bakes", "First try at lemon drizzle. Not bad?"),
    ("@footy_updates_uk", "Full-time: what a second half. Player of the match?"),
    ("@study_with_sam", "Pomodoro timer + lo-fi playlist = revision sorted"),
    ("@rainy.tuesday", "Who else has a maths test tomorrow"),
    ("@pixel_penguin", "New speedrun personal best!! 12:41"),
)
