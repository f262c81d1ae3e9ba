"""A paste holding escape sequences arrives whole, in order, and visible; it presses no keys.

The raw bytes a terminal sends for a bracketed paste go through the parser the Linux driver
uses (``textual.drivers.linux_driver.XTermParser``, which ponder replaces), and the resulting
events are posted to the running chat, as the driver would.
"""

from __future__ import annotations

import pytest
from textual.drivers import linux_driver

import tui.widgets.prompt  # noqa: F401  (installs the paste guard, as the app does)
from backends.config import Settings
from tests.tui.helpers import SIZE, app_with, backend_ready, chat
from tests.tui.scripted import ScriptedBackend
from tui.widgets.budget import BudgetSlider
from tui.widgets.paste_guard import PasteGuardParser
from tui.widgets.prompt import PromptInput

PASTES = {
    "osc_bel": ("abc\x1b]0;title\x07def", "abc␛]0;title\\x07def"),
    "csi": ("one\x1b[2Jtwo", "one␛[2Jtwo"),
    "osc52": ("x\x1b]52;c;ZWNobw==\x1b\\y", "x␛]52;c;ZWNobw==␛\\y"),
    "lone_esc": ("a\x1bb", "a␛b"),
    "c1": ("p\x9b2Jq", "p\\x9b2Jq"),
    "lines": ("l1\r\nl2\n", "l1\nl2\n"),
}


def raw(text: str) -> str:
    return f"\x1b[200~{text}\x1b[201~"


def parse(chunks: list[str]) -> list[object]:
    parser = linux_driver.XTermParser(debug=False)
    events: list[object] = []
    for chunk in chunks:
        events += list(parser.feed(chunk))
    return events


def test_the_driver_uses_the_guard() -> None:
    assert linux_driver.XTermParser is PasteGuardParser


@pytest.mark.parametrize("name", sorted(PASTES))
def test_a_paste_is_one_event_however_it_is_split(name: str) -> None:
    text, _ = PASTES[name]
    data = "k" + raw(text) + "z"
    splits = [[data[:cut], data[cut:]] for cut in range(1, len(data))] + [list(data)]
    for chunks in splits:
        events = parse(chunks)
        kinds = [type(e).__name__ for e in events]
        assert kinds == ["Key", "Paste", "Key"], (chunks, kinds)
        assert "\x1b" not in events[1].text  # type: ignore[attr-defined]


async def test_a_hostile_paste_lands_in_the_prompt_in_order_and_presses_nothing() -> None:
    app = app_with(ScriptedBackend([]), Settings(default_budget=256))
    async with app.run_test(size=SIZE) as pilot:
        await backend_ready(pilot)
        screen = chat(pilot)
        slider = screen.query_one(BudgetSlider)
        prompt = screen.query_one(PromptInput)
        prompt.focus()
        for name in ("osc_bel", "csi", "c1", "lines"):
            prompt.clear()
            for event in parse([raw(PASTES[name][0])]):
                app.post_message(event)  # type: ignore[arg-type]
            await pilot.pause()
            assert prompt.text == PASTES[name][1], name
        assert slider.value == 256  # the BEL inside the paste did not press ctrl+g
