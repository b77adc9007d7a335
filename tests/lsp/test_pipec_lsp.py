"""The pipec language server driven by pytest-lsp, a third-party LSP client.

The client announces the capabilities recorded from real editors (VS Code and Neovim) and
pytest-lsp checks every answer of the server against them. The server command comes from
PIPEC_LSP (set by the Rust test `pytest_lsp` in compiler/pipec-lsp), e.g. `pipec lsp`.
"""

import os
import shlex
import sys

import pytest
import pytest_lsp
from lsprotocol import types
from pytest_lsp import ClientServerConfig, LanguageClient, client_capabilities

SERVER = shlex.split(os.environ.get("PIPEC_LSP", ""))
if not SERVER:
    sys.exit("set PIPEC_LSP to the server command (the Rust test `pytest_lsp` does this)")

URI = "file:///project/main.pipe"
GOOD = """\
// The app, named with non-ASCII text: é😀.
repo app {
  description = "fe-é😀"
  branch      = "main"
}

build app {
  source = repo.app
  build { run "make" }
}

instance web {
  tags = { Deploy = "web" }
}

deploy web {
  from   = build.app
  target = ec2 { tags = { Deploy = "web" } }
  hook before_install "init" { run "rm -rf /srv/app/*" }
}

pipeline main {
  stage source { repo.app }
  stage build { build.app }
  stage deploy { deploy.web }
}
"""


@pytest_lsp.fixture(
    params=["visual-studio-code", "neovim"],
    config=ClientServerConfig(server_command=SERVER),
)
async def client(request, lsp_client: LanguageClient):
    # Both editors announce `workspace.semanticTokens.refreshSupport`, and the server asks them
    # to refresh after each analysis; they answer, as this client does.
    lsp_client.semantic_tokens_refreshes = 0

    @lsp_client.feature(types.WORKSPACE_SEMANTIC_TOKENS_REFRESH)
    def semantic_tokens_refresh(_params):
        lsp_client.semantic_tokens_refreshes += 1
        return None

    params = types.InitializeParams(
        capabilities=client_capabilities(request.param),
        initialization_options={"debounceMs": 0},
    )
    result = await lsp_client.initialize_session(params)
    assert result.server_info is not None and result.server_info.name == "pipec"
    # Neovim offers UTF-8 positions and gets them; VS Code offers none and gets UTF-16.
    offered = (params.capabilities.general and params.capabilities.general.position_encodings) or []
    expected = "utf-8" if "utf-8" in offered else "utf-16"
    assert result.capabilities.position_encoding == expected
    lsp_client.encoding = expected
    yield
    await lsp_client.shutdown_session()


def open_document(client: LanguageClient, text: str, version: int = 1) -> None:
    client.text_document_did_open(
        types.DidOpenTextDocumentParams(
            text_document=types.TextDocumentItem(uri=URI, language_id="pipe", version=version, text=text)
        )
    )


async def wait_for_version(client: LanguageClient, version: int) -> list[types.Diagnostic]:
    """Waits for the diagnostics published for `version` of the document."""
    while True:
        params = await client.wait_for_notification(types.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS)
        if params.uri == URI and params.version == version:
            return list(params.diagnostics)


async def test_diagnostics_follow_edits(client: LanguageClient):
    open_document(client, GOOD)
    assert await wait_for_version(client, 1) == []

    # Insert a stray `?` after the closing quote on line 2, in the negotiated encoding.
    line = "  description = \"fe-é😀\""
    column = len(line.encode("utf-8")) if client.encoding == "utf-8" else len(line.encode("utf-16-le")) // 2
    client.text_document_did_change(
        types.DidChangeTextDocumentParams(
            text_document=types.VersionedTextDocumentIdentifier(uri=URI, version=2),
            content_changes=[
                types.TextDocumentContentChangePartial(
                    range=types.Range(start=types.Position(2, column), end=types.Position(2, column)),
                    text=" ?",
                )
            ],
        )
    )
    diagnostics = await wait_for_version(client, 2)
    # The broken `repo` also leaves the pipeline without a source (P4001): only the syntax
    # error is checked here.
    diagnostics = [d for d in diagnostics if d.code == "P1001"]
    assert len(diagnostics) == 1
    assert diagnostics[0].source == "pipec"
    assert diagnostics[0].range.start == types.Position(2, column + 1)
    assert diagnostics[0].code_description.href.endswith("/docs/codes/P1001.md")

    client.text_document_did_change(
        types.DidChangeTextDocumentParams(
            text_document=types.VersionedTextDocumentIdentifier(uri=URI, version=3),
            content_changes=[types.TextDocumentContentChangeWholeDocument(text=GOOD)],
        )
    )
    assert await wait_for_version(client, 3) == []


async def test_outline_and_formatting(client: LanguageClient):
    open_document(client, GOOD.replace("repo app {", "repo    app {"))
    await wait_for_version(client, 1)

    symbols = await client.text_document_document_symbol_async(
        types.DocumentSymbolParams(text_document=types.TextDocumentIdentifier(uri=URI))
    )
    assert [s.name for s in symbols] == ["repo app", "build app", "instance web", "deploy web", "pipeline main"]
    assert [c.name for c in symbols[3].children] == ['hook before_install "init"']
    assert [c.name for c in symbols[4].children] == ["stage source", "stage build", "stage deploy"]

    edits = await client.text_document_formatting_async(
        types.DocumentFormattingParams(
            text_document=types.TextDocumentIdentifier(uri=URI),
            options=types.FormattingOptions(tab_size=2, insert_spaces=True),
        )
    )
    assert len(edits) == 1
    assert "repo app {" in edits[0].new_text


async def test_hover_definition_and_completion(client: LanguageClient):
    open_document(client, GOOD)
    await wait_for_version(client, 1)
    # `source = repo.app` on line 7: the cursor on `app`.
    line = GOOD.splitlines().index("  source = repo.app")
    position = types.Position(line, len("  source = repo.a"))
    document = types.TextDocumentIdentifier(uri=URI)

    hover = await client.text_document_hover_async(types.HoverParams(text_document=document, position=position))
    assert "repo app" in hover.contents.value

    definition = await client.text_document_definition_async(
        types.DefinitionParams(text_document=document, position=position)
    )
    assert definition.range.start == types.Position(1, len("repo "))

    completion = await client.text_document_completion_async(
        types.CompletionParams(text_document=document, position=types.Position(line, len("  source = repo.")))
    )
    items = completion.items if hasattr(completion, "items") else completion
    assert "app" in [item.label for item in items]


async def test_semantic_tokens(client: LanguageClient):
    open_document(client, GOOD)
    await wait_for_version(client, 1)
    result = await client.text_document_semantic_tokens_full_async(
        types.SemanticTokensParams(text_document=types.TextDocumentIdentifier(uri=URI))
    )
    assert result is not None and len(result.data) % 5 == 0 and len(result.data) > 100
    # The first token: the comment at line 0, column 0.
    assert list(result.data[:2]) == [0, 0]
    assert client.semantic_tokens_refreshes >= 1
