"""Answers that try to break the files they land in: quotes, backslashes, markup, shell, Unicode
line breaks, YAML syntax, the longest text the hook accepts. Read by the escaping and lint tests."""

HOSTILE = [
    "It's \"quoted\"",
    "Back\\slash \\n \\u0041 \\",
    "Tom & Jerry <script>alert(1)</script>",
    "</script><!-- --><![CDATA[",
    "$(touch /tmp/pwned) `id` ${HOME} ; rm -rf ~",
    "Tab\there\tand there",
    "Émoji 🚀 café naïve Ωmega 中文",
    "Line\u2028separator\u2029paragraph",
    "Hash # and: colon - dash [brackets] {braces} 'single' %percent",
    "W" * 200,
]
IDS = ["quotes", "backslashes", "html", "script-close", "shell", "tabs", "unicode", "u2028", "yaml-syntax", "200-chars"]

# Markup, quotes and one long word, 200 characters in all (the longest name the hook accepts):
# the header and the footer show the name too.
_HOSTILE_START = "Tom & Jerry's \"<script>alert(1)</script>\" </title><!-- $(id) 🚀\u2028é "
HOSTILE_NAME = _HOSTILE_START + "W" * (200 - len(_HOSTILE_START))
