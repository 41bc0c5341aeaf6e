"""``postpurchase notify``: look at messages without sending any.

``preview FLOW --locale pt-BR --out DIR`` renders a flow's email (HTML, text, and the full
MIME message as an .eml any mail client opens) and its SMS with sample data.
"""

from __future__ import annotations

from pathlib import Path

import typer
from rich.console import Console
from rich.table import Table

from postpurchase.adapters.notifications.email import SmtpEmailChannel
from postpurchase.adapters.notifications.rendering import JinjaRenderer
from postpurchase.adapters.notifications.samples import sample_context
from postpurchase.domain.notifications import FLOWS, SUPPORTED_LOCALES, Channel
from postpurchase.service_layer.notification_ports import OutgoingEmail, RenderError

app = typer.Typer(help="Notification flows: list them, preview them.", no_args_is_help=True)
console = Console()


@app.command("flows")
def list_flows() -> None:
    """List the notification flows, their default channels and whether they are urgent."""
    table = Table("flow", "about", "urgent", "default channels")
    for f in FLOWS.values():
        chans = ", ".join(sorted(c.value for c in f.default_channels))
        table.add_row(f.name, f.subject.value, "yes" if f.urgent else "", chans)
    console.print(table)


@app.command()
def preview(
    flow: str = typer.Argument(..., help=f"One of: {', '.join(FLOWS)}; or 'all'."),
    locale: str = typer.Option(
        "en", "--locale", "-l", help=f"One of {', '.join(SUPPORTED_LOCALES)}; or 'all'."
    ),
    out: Path = typer.Option(Path("notify-preview"), "--out", "-o", help="Directory to write to."),
    base_url: str = typer.Option("https://shop.example.com", help="Base URL for links."),
) -> None:
    """Render FLOW's email and SMS with sample data into DIR."""
    flows = list(FLOWS) if flow == "all" else [flow]
    locales = list(SUPPORTED_LOCALES) if locale == "all" else [locale]
    for name in flows:
        if name not in FLOWS:
            raise typer.BadParameter(
                f"unknown flow {name!r}; known: {', '.join(FLOWS)}", param_hint="FLOW"
            )
    for loc in locales:
        if loc not in SUPPORTED_LOCALES:
            raise typer.BadParameter(
                f"unsupported locale {loc!r}; supported: {', '.join(SUPPORTED_LOCALES)}",
                param_hint="--locale",
            )
    renderer = JinjaRenderer()
    mime = SmtpEmailChannel("smtp://localhost", "shop@acme.example")
    out.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []
    for name in flows:
        for loc in locales:
            stem = f"{name}.{loc}"
            try:
                email = renderer.render(sample_context(name, loc, Channel.EMAIL, base_url=base_url))
                sms = renderer.render(sample_context(name, loc, Channel.SMS, base_url=base_url))
            except RenderError as exc:
                console.print(f"[red]{name} ({loc}): {exc}[/red]")
                raise typer.Exit(1) from exc
            files = {
                out / f"{stem}.email.html": email.html or "",
                out / f"{stem}.email.txt": f"Subject: {email.subject}\n\n{email.text}",
                out / f"{stem}.sms.txt": sms.text + "\n",
            }
            message = mime.build(
                OutgoingEmail(
                    message_id=f"preview-{name}-{loc}",
                    to="shopper@example.com",
                    from_name="Acme Goods",
                    from_email=None,
                    reply_to="help@acme.example",
                    subject=email.subject,
                    text=email.text,
                    html=email.html,
                    unsubscribe_url=f"{base_url}/notifications/unsubscribe/sample",
                    headers={},
                )
            )
            for path, text in files.items():
                path.write_text(text, encoding="utf-8")
                written.append(path)
            eml = out / f"{stem}.eml"
            eml.write_bytes(message.as_bytes())
            written.append(eml)
            console.print(f"{name} [{loc}]: {email.subject!r}; SMS {len(sms.text)} chars")
    console.print(f"wrote {len(written)} files to {out}")
