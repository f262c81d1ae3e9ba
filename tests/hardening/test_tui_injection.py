"""The chat never lets a server's text reach the terminal: retry notes, answers, headers.

A real openai-compat backend talks to the replay server: a 500 whose message holds the hostile
table (the backend retries and shows a "retrying" note with that message), then a reply whose
answer and thinking hold it too. Every strip the compositor would write must be free of raw
ESC, BEL and C1 characters, after the reply ends and after a resize repaints the screen.
"""

from __future__ import annotations

from backends.config import settings_from_dict
from backends.registry import build_backend
from tests.hardening.hostile import ALL, assert_terminal_safe, chat_sse
from tests.support.replay_server import ReplayServer, json_reply, sse_reply
from tests.tui.helpers import SIZE, app_with, backend_ready, reply_done, send, until


def all_strips(pilot) -> str:  # type: ignore[no-untyped-def]
    """Every segment the compositor renders now (what the driver writes, minus its styles)."""
    strips = pilot.app.screen._compositor.render_strips()
    return "\n".join("".join(segment.text for segment in strip) for strip in strips)


async def test_retry_note_answer_and_thinking_never_write_control_text(
    replay_server: ReplayServer,
) -> None:
    replay_server.add(json_reply(500, {"error": {"message": ALL, "type": "server_error"}}))
    replay_server.add(sse_reply(chat_sse(text="fine " + ALL, reasoning=ALL)))
    settings = settings_from_dict(
        {
            "backends": {
                "evil": {
                    "kind": "openai-compat",
                    "model": "m",
                    "base_url": replay_server.url("/v1"),
                    "options": {"max_retries": 1, "retry_backoff_s": 0.3},
                }
            },
            "default_backend": "evil",
        }
    )
    backend = build_backend(settings, "evil")
    async with app_with(backend, settings).run_test(size=SIZE) as pilot:
        await backend_ready(pilot)
        view = await send(pilot, "hi")
        await until(pilot, lambda: "52;c;" in view.note_text)
        assert "␛]52;c;" in view.note_text  # shown, not obeyed
        assert_terminal_safe(view.note_text, "the retry note")
        assert_terminal_safe(all_strips(pilot), "the screen while retrying")
        await reply_done(pilot)
        assert view.answer_text.startswith("fine ") and "␛]52;c;" in view.answer_text
        assert_terminal_safe(all_strips(pilot), "the screen after the reply")
        await pilot.resize_terminal(80, 40)
        await pilot.pause()
        await pilot.resize_terminal(*SIZE)
        await pilot.pause()
        assert_terminal_safe(all_strips(pilot), "the screen after two resizes")


async def test_compare_columns_never_write_control_text(replay_server: ReplayServer) -> None:
    from tests.tui.test_compare_screen import open_compare, round_done, start_round

    replay_server.add(json_reply(500, {"error": {"message": ALL, "type": "server_error"}}))
    for _ in range(2):
        replay_server.add(sse_reply(chat_sse(text="fine " + ALL, reasoning=ALL)))
    settings = settings_from_dict(
        {
            "backends": {
                "evil": {
                    "kind": "openai-compat",
                    "model": "m",
                    "base_url": replay_server.url("/v1"),
                    "options": {"max_retries": 1, "retry_backoff_s": 0.3},
                }
            },
            "default_backend": "evil",
        }
    )
    async with app_with(lambda name: build_backend(settings, "evil"), settings).run_test(
        size=(120, 40)
    ) as pilot:
        screen = await open_compare(pilot)
        await start_round(pilot, "hi")
        await until(pilot, lambda: any("52;c;" in v.view.note_text for v in screen.views if v.view))
        for view in screen.views:
            if view.view is not None:
                assert_terminal_safe(view.view.note_text, "a compare column's note")
                assert_terminal_safe(str(view.view.note.render()), "a compare column's note")
        assert_terminal_safe(all_strips(pilot), "the compare screen while a column retries")
        await round_done(pilot)
        answers = [v.view.answer_text for v in screen.views if v.view]
        assert len(answers) == 2 and all("␛]52;c;" in answer for answer in answers)
        assert_terminal_safe(all_strips(pilot), "the compare screen after the round")
