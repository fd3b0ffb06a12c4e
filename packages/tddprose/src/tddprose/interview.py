"""``tddprose interview``: a guided intake that writes a Behavior Intent file.

It asks, one line per answer: the domain; then, per behavior, its id (an empty answer
ends the behaviors; an id without a dot is put under the domain), given, when, then,
depends_on and related_to (ids separated by spaces or commas; empty for none); then
constraints: a kind (empty ends them) and its rules, one per line (an empty line ends
the kind). Answers are read from stdin, so answers can be piped in; the questions go to
stderr, so the intent can go to stdout. A bad answer is explained and asked again. The
end of the input counts as an empty answer where one is allowed, and is an error
anywhere else (nothing is written then).
"""

from __future__ import annotations

import re
from typing import TextIO

from tddprose.errors import TddProseError
from tddprose.identity import normalise_space
from tddprose.intent import BehaviorIntent, Intent, load_schema, schema_problems

_SEPARATORS = re.compile(r"[\s,]+")


class InterviewEnded(TddProseError):
    """The input ended before a required answer (bad input, exit 2)."""


def _id_pattern() -> re.Pattern[str]:
    return re.compile(load_schema()["$defs"]["behavior_id"]["pattern"])


ID_FORM = "dot-separated segments of letters, digits, _ or - (e.g. auth.login.invalid_credentials)"


class _Asker:
    def __init__(self, answers: TextIO, questions: TextIO):
        self.answers = answers
        self.questions = questions

    def tell(self, text: str) -> None:
        self.questions.write(text + "\n")
        self.questions.flush()

    def ask(self, question: str) -> str | None:
        """The answer, stripped; None at the end of the input."""
        self.questions.write(question)
        self.questions.flush()
        line = self.answers.readline()
        if line == "":
            self.questions.write("\n")
            return None
        return normalise_space(line)

    def required(self, question: str, what: str, check=None) -> str:
        while True:
            answer = self.ask(question)
            if answer is None:
                raise InterviewEnded(
                    f"input ended while asking for {what}; nothing was written. "
                    "Answer every question (an empty behavior id ends the behaviors)"
                )
            if not answer:
                self.tell(f"  {what} must not be empty")
                continue
            problem = check(answer) if check else None
            if problem:
                self.tell(f"  {problem}")
                continue
            return answer


def interview(answers: TextIO, questions: TextIO) -> Intent:
    ask = _Asker(answers, questions)
    pattern = _id_pattern()

    def bad_id(kind: str):
        def check(value: str) -> str | None:
            return None if pattern.match(value) else f"invalid {kind} {value!r}: {ID_FORM}"

        return check

    ask.tell("Behavior Intent: describe the behaviors this change should have, before tests.")
    domain = ask.required(
        "domain (dot-separated, e.g. auth.login): ", "the domain", bad_id("domain")
    )

    def qualified(value: str) -> str:
        return value if "." in value else f"{domain}.{value}"

    def id_list(question: str, own: str) -> tuple[str, ...]:
        while True:
            answer = ask.ask(question)
            if not answer:
                return ()
            ids = [qualified(v) for v in _SEPARATORS.split(answer) if v]
            problems = [bad_id("behavior id")(i) for i in ids]
            problems = [p for p in problems if p]
            if own in ids:
                problems.append(f"invalid: {own} cannot name itself")
            if problems:
                ask.tell("  " + "; ".join(problems))
                continue
            return tuple(dict.fromkeys(ids))

    behaviors: list[BehaviorIntent] = []
    while True:
        number = len(behaviors) + 1
        answer = ask.ask(
            f"behavior {number} id (e.g. {domain}.invalid_credentials; empty to finish): "
        )
        if not answer:
            if behaviors:
                break
            if answer is None:
                raise InterviewEnded(
                    "input ended before the first behavior; nothing was written. "
                    "An intent needs at least one behavior"
                )
            ask.tell("  an intent needs at least one behavior")
            continue
        behavior_id = qualified(answer)
        problem = bad_id("behavior id")(behavior_id)
        if problem is None and any(b.behavior_id == behavior_id for b in behaviors):
            problem = f"invalid: {behavior_id} is already in this intent; choose another id"
        if problem:
            ask.tell(f"  {problem}")
            continue
        given = ask.required("  given (the state before): ", "given")
        when = ask.required("  when (the event): ", "when")
        then = ask.required("  then (the observable outcome): ", "then")
        depends_on = id_list(
            "  depends_on (ids that must exist first, separated by spaces; empty for none): ",
            behavior_id,
        )
        related_to = id_list("  related_to (related ids; empty for none): ", behavior_id)
        behaviors.append(BehaviorIntent(behavior_id, given, when, then, depends_on, related_to))

    constraints: dict[str, list[str]] = {}
    while True:
        kind = ask.ask("constraint kind (e.g. security, logging; empty to finish): ")
        if not kind:
            break
        rules = constraints.setdefault(kind, [])
        while True:
            rule = ask.ask(f"  {kind} rule (empty to finish {kind}): ")
            if not rule:
                break
            rules.append(rule)
    intent = Intent(
        domain,
        tuple(behaviors),
        {k: tuple(v) for k, v in sorted(constraints.items()) if v},
    )
    problems = schema_problems(intent.to_json())
    if problems:  # the checks above mirror the schema; this is the safety net
        raise InterviewEnded("; ".join(p.describe() for p in problems))
    return intent
