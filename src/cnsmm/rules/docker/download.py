"""Download rules: remote ADD, pipes into a shell, pipes without pipefail, plain HTTP, ADD where COPY suffices."""

from __future__ import annotations

import re
from collections.abc import Iterator

from cnsmm.rules.base import Hit, RuleContext, rule
from cnsmm.rules.docker._common import (
    ARTIFACT_CHECK,
    CIS_4_9,
    CIS_4_11,
    OSS_RULES,
    TRACEABILITY,
    Command,
    Dockerfile,
    Instruction,
    Severity,
    Stage,
    meta,
    run_commands,
)
from cnsmm.rules.docker._shell import SHELLS
from cnsmm.sources._dockerfile_syntax import split_words

DOWNLOADERS = frozenset({"curl", "wget", "fetch"})
INTERPRETERS = SHELLS | {"python", "python3", "perl", "ruby", "node", "php"}
ARCHIVE_SUFFIXES = (".tar", ".tar.gz", ".tgz", ".tar.bz2", ".tbz", ".tbz2", ".tar.xz", ".txz",
                    ".tar.zst", ".tzst", ".gz", ".bz2", ".xz")
_REMOTE_RE = re.compile(r"^(https?://|git@|ssh://|git://)", re.IGNORECASE)
_PROCESS_SUBST_RE = re.compile(r"\b(?:ba|z|da|k)?sh\s+<\(\s*(?:curl|wget)\b")
_LOCAL_HOSTS = ("http://localhost", "http://127.", "http://[::1]", "http://0.0.0.0")


def sources(inst: Instruction) -> list[str]:
    """Source operands of a COPY/ADD (everything but the destination; heredocs excluded)."""
    text = inst.expanded if inst.resolved else inst.args
    words = list(inst.exec_form) if inst.exec_form is not None else split_words(text)
    return [w for w in words[:-1] if not w.startswith("<<")]


@rule(meta(
    id="DKR-013", name="add-remote-url", title="ADD fetches a remote URL without a checksum",
    severity=Severity.MEDIUM, requirements=(ARTIFACT_CHECK, TRACEABILITY),
    what="Flags ADD whose source is an http(s) or git URL and that has no `--checksum=` flag.",
    why="What the URL serves can change at any time and is not verified; remote archives are "
        "unpacked into the image unseen, so a tampered download ends up in production.",
    fix="Use `ADD --checksum=sha256:... URL` or download with curl and verify a known checksum or "
        "signature in the same RUN.",
    bad="ADD https://example.com/tool.tar.gz /opt/",
    good="ADD --checksum=sha256:24454f830cdb571e2c4ad15481119c43b3cafd48dd869a9b2945d1036d1dc68d \\\n"
         "    https://example.com/tool.tar.gz /opt/",
    references=(CIS_4_9, "CWE-494", "https://docs.docker.com/reference/dockerfile/#add"),
))
def check_add_url(df: Dockerfile, ctx: RuleContext) -> Iterator[Hit]:
    """Report remote ADD sources without checksum."""
    for stage in df.stages:
        for inst in stage.of("ADD", onbuild=True):
            remote = [s for s in sources(inst) if _REMOTE_RE.match(s)]
            if remote and inst.flag("checksum") is None:
                yield Hit(f"ADD downloads {remote[0]} without verifying a checksum", line=inst.line)


def _pipes_to_shell(command: Command) -> bool:
    if command.name == "busybox" and command.args and command.args[0] not in SHELLS:
        return False  # busybox unzip, busybox tar: an applet, not a shell
    if command.name in INTERPRETERS and DOWNLOADERS & set(command.piped_from):
        return True
    if command.name in SHELLS and "-c" in command.args:
        index = command.args.index("-c")
        script = command.args[index + 1] if index + 1 < len(command.args) else ""
        return bool(re.search(r"\$\(\s*(curl|wget)\b|`\s*(curl|wget)\b", script))
    return False


@rule(meta(
    id="DKR-014", name="pipe-to-shell", title="Downloaded script piped into a shell",
    severity=Severity.HIGH, requirements=(ARTIFACT_CHECK, OSS_RULES),
    what="Flags RUN steps that pipe curl/wget output into a shell or interpreter (`curl ... | sh`, "
         "`wget -O- ... | bash`, `bash <(curl ...)`, `sh -c \"$(curl ...)\"`).",
    why="The script is executed as it arrives, unreviewed and unverified; a compromised or "
        "hijacked server, or a truncated download, runs arbitrary code in the build.",
    fix="Download the script to a file, verify its checksum or signature, then run it; better, "
        "install the tool from a signed package.",
    bad="RUN curl -fsSL https://get.example.com/install.sh | sh",
    good="RUN curl -fsSLo /tmp/install.sh https://get.example.com/install.sh \\\n"
         " && echo \"<sha256>  /tmp/install.sh\" | sha256sum -c - && sh /tmp/install.sh",
    references=("CWE-494", "CWE-829", CIS_4_11),
))
def check_pipe_to_shell(df: Dockerfile, ctx: RuleContext) -> Iterator[Hit]:
    """Report download-and-execute pipes."""
    for _stage, inst, commands in run_commands(df):
        if any(_pipes_to_shell(c) for c in commands) or _PROCESS_SUBST_RE.search(inst.script):
            yield Hit("RUN pipes a downloaded script straight into a shell", line=inst.line)


def _plain_http(command: Command) -> str | None:
    urls = [a for a in command.args if a.lower().startswith("http://")]
    for flag in ("-i", "--index-url", "--extra-index-url", "--registry"):
        urls += [a.split("=", 1)[1] for a in command.args if a.startswith(flag + "=http://")]
    if command.name not in ("curl", "wget", "git", "pip", "pip3", "npm", "gem", "go"):
        return None
    urls = [u for u in urls if not u.lower().startswith(_LOCAL_HOSTS)]
    return urls[0] if urls else None


@rule(meta(
    id="DKR-016", name="plain-http-download", title="Download over plain HTTP",
    severity=Severity.MEDIUM, requirements=(ARTIFACT_CHECK,),
    what="Flags curl, wget, git, pip, npm, gem and go commands and ADD instructions that fetch an "
         "`http://` URL (localhost excepted). Package-manager sources (apt, apk) are signed and "
         "not flagged here.",
    why="Plain HTTP can be read and rewritten on the way; unless the download is verified against "
        "a signature or checksum, the build installs whatever an attacker serves.",
    fix="Use the https:// URL, and verify a checksum or signature of what you download.",
    bad="RUN wget http://example.com/tool.tar.gz",
    good="RUN wget https://example.com/tool.tar.gz",
    references=("CWE-319", "CWE-494"),
))
def check_plain_http(df: Dockerfile, ctx: RuleContext) -> Iterator[Hit]:
    """Report http:// downloads."""
    for stage in df.stages:
        for inst in stage.of("ADD", onbuild=True):
            urls = [s for s in sources(inst) if s.lower().startswith("http://")]
            if urls:
                yield Hit(f"ADD downloads {urls[0]} over plain HTTP", line=inst.line)
    for _stage, inst, commands in run_commands(df):
        url = next((u for c in commands if (u := _plain_http(c))), None)
        if url:
            yield Hit(f"RUN downloads {url} over plain HTTP", line=inst.line)


@rule(meta(
    id="DKR-017", name="add-instead-of-copy", title="ADD used where COPY suffices",
    severity=Severity.LOW, requirements=(TRACEABILITY,),
    what="Flags ADD whose sources are all local files or folders that are not archives (ADD's "
         "remote and auto-extract features are not used).",
    why="ADD silently unpacks archives and fetches URLs; using it for plain copies hides which "
        "behaviour was meant and can unpack attacker-supplied archives unexpectedly.",
    fix="Replace ADD with COPY.",
    bad="ADD requirements.txt /app/",
    good="COPY requirements.txt /app/",
    references=(CIS_4_9, "hadolint DL3020", "Checkov CKV_DOCKER_4"),
))
def check_add_local(df: Dockerfile, ctx: RuleContext) -> Iterator[Hit]:
    """Report ADD of plain local files."""
    for stage in df.stages:
        for inst in stage.of("ADD", onbuild=True):
            srcs = sources(inst)
            if inst.heredocs and not srcs:
                yield Hit("ADD of a heredoc; COPY does the same", line=inst.line)
            elif srcs and not any(_REMOTE_RE.match(s) or "$" in s or s.lower().endswith(ARCHIVE_SUFFIXES)
                                  for s in srcs):
                yield Hit(f"ADD copies local {srcs[0]!r}; COPY is enough", line=inst.line)


_PIPEFAIL_RE = re.compile(r"(^|\s)-[a-z]*o\s+pipefail\b")
_NON_POSIX_SHELLS = ("pwsh", "powershell", "cmd")


def _shell_pipefail(inst: Instruction) -> bool:
    """True when a SHELL instruction sets pipefail or names a non-POSIX shell."""
    words = list(inst.exec_form or ())
    if words and words[0].rsplit("/", 1)[-1].lower().startswith(_NON_POSIX_SHELLS):
        return True
    return bool(_PIPEFAIL_RE.search(" ".join(words)))


def _pipefail_lines(df: Dockerfile, stage: Stage) -> list[tuple[int, bool]]:
    """(line, pipefail on) of the SHELL instructions in force in ``stage``, inherited ones first
    (their line is 0: they apply from the start of the stage)."""
    inherited = [_shell_pipefail(i) for s in reversed(df.lineage(stage)[1:]) for i in s.of("SHELL")]
    out = [(0, inherited[-1])] if inherited else []
    return out + [(i.line, _shell_pipefail(i)) for i in stage.of("SHELL")]


@rule(meta(
    id="DKR-056", name="download-pipe-without-pipefail", title="Download piped into a command without pipefail",
    severity=Severity.LOW, requirements=(ARTIFACT_CHECK,),
    what="Flags RUN steps that pipe curl, wget or fetch output into another command (`curl ... | tar x`, "
         "`wget -O- ... | gpg --dearmor -o key.gpg`) when pipefail is not on: neither `set -o pipefail` "
         "(also `set -euxo pipefail`, `bash -o pipefail -c`) in the RUN nor a SHELL with `-o pipefail` "
         "before it in the stage. Pipes into a shell are DKR-014's; PowerShell and cmd SHELLs are exempt.",
    why="A shell pipeline's status is its last command's: a failed or truncated download (404 page, "
        "reset connection) does not stop the build, and an empty or partial file, key or archive ends "
        "up in the image unnoticed.",
    fix="Add `SHELL [\"/bin/bash\", \"-o\", \"pipefail\", \"-c\"]` (on Alpine `/bin/ash`) before the RUN, or "
        "start the RUN with `set -o pipefail &&`; better, download to a file and verify its checksum.",
    bad="RUN curl -fsSL https://example.com/tool.tar.gz | tar -xz -C /usr/local/bin",
    good="SHELL [\"/bin/bash\", \"-o\", \"pipefail\", \"-c\"]\n"
         "RUN curl -fsSL https://example.com/tool.tar.gz | tar -xz -C /usr/local/bin",
    references=("hadolint DL4006", "Trivy DS032", "https://docs.docker.com/build/building/best-practices/#using-pipes"),
))
def check_pipefail(df: Dockerfile, ctx: RuleContext) -> Iterator[Hit]:
    """Report downloads piped onwards without pipefail."""
    shells: dict[int, list[tuple[int, bool]]] = {}
    for stage, inst, commands in run_commands(df):
        piped = [c for c in commands if DOWNLOADERS & set(c.piped_from) and not _pipes_to_shell(c)]
        if not piped or _PIPEFAIL_RE.search(inst.script):
            continue
        if stage.index not in shells:
            shells[stage.index] = _pipefail_lines(df, stage)
        in_force = [on for line, on in shells[stage.index] if line < inst.line]
        if in_force and in_force[-1]:
            continue
        upstream = next(n for n in piped[0].piped_from if n in DOWNLOADERS)
        yield Hit(f"RUN pipes {upstream} into {piped[0].name} without pipefail: a failed download does not "
                  "fail the build", line=inst.line)
