"""Verification rules: TLS certificate checks, package signature checks, signing keys.

Settings are read wherever the build makes them: command-line flags, ``ENV``/``ARG``,
variable assignments in front of a command or through ``export`` in a ``RUN``, tool
configuration commands (``npm config set``, ``git config``, ``yum-config-manager``), and
configuration text written by ``echo``/``printf``, by a ``sed`` replacement or a ``COPY``
heredoc (``sslverify=0`` in a ``.repo`` file).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator

from cnsmm.rules.base import Hit, RuleContext, rule
from cnsmm.rules.docker._common import (
    ARTIFACT_CHECK,
    CIS_4_11,
    OSS_RULES,
    Command,
    Dockerfile,
    Instruction,
    Severity,
    meta,
    run_commands,
)
from cnsmm.sources._dockerfile_syntax import key_values

_FALSE = ("0", "false", "no", "off")
_MAVEN_INSECURE_RE = re.compile(
    r"-D(maven\.wagon\.http\.ssl\.(insecure|allowall)|aether\.connector\.https\.securityMode)=(true|insecure)",
    re.IGNORECASE)


def _any(value: str) -> bool:
    return value != ""


def _false(value: str) -> bool:
    return value.strip().strip("'\"").lower() in _FALSE


TLS_OFF_ENV: dict[str, Callable[[str], bool]] = {
    "NODE_TLS_REJECT_UNAUTHORIZED": lambda v: v.strip().strip("'\"") == "0",
    "GIT_SSL_NO_VERIFY": _any,
    "PYTHONHTTPSVERIFY": lambda v: v.strip().strip("'\"") == "0",
    "PIP_TRUSTED_HOST": _any,
    "NPM_CONFIG_STRICT_SSL": _false,
    "YARN_STRICT_SSL": _false,
    "YARN_ENABLE_STRICT_SSL": _false,
    "GOINSECURE": _any,
    "GOFLAGS": lambda v: "-insecure" in v,
    "BUNDLE_SSL_VERIFY_MODE": lambda v: v.strip().strip("'\"") == "0",
    "CONDA_SSL_VERIFY": _false,
    "AZURE_CLI_DISABLE_CONNECTION_VERIFICATION": _any,
    "MAVEN_OPTS": lambda v: bool(_MAVEN_INSECURE_RE.search(v)),
}
"""Environment variables that turn certificate verification off, with the values that do
(names compared in upper case: npm reads ``npm_config_*`` in any case)."""

SIGNATURE_OFF_ENV: dict[str, Callable[[str], bool]] = {
    "GOSUMDB": lambda v: v.strip().strip("'\"").lower() == "off",
}
"""Environment variables that turn package checksum or signature verification off."""

_APT_TLS = (re.compile(r"Acquire::https::([\w.-]+::)?Verify-(Peer|Host)\s*[= ]\s*\"?false", re.IGNORECASE),
            "apt Acquire::https::Verify-Peer false")
_TLS_TEXT = (
    _APT_TLS,
    (re.compile(r"(?<![\w])sslverify\s*=\s*[\"']?(0|false|no|off)\b", re.IGNORECASE), "sslverify=0"),
    (re.compile(r"check_certificate\s*=\s*off\b", re.IGNORECASE), "wget check_certificate = off"),
    (re.compile(r"strict-ssl\s*=\s*false\b", re.IGNORECASE), "npm strict-ssl=false"),
    (re.compile(r"\bssl_verify(_mode)?\s*:?\s*[:=]?\s*[\"']?(false|no|0)\b", re.IGNORECASE), "ssl_verify off"),
)
"""Configuration text that turns certificate verification off (yum/dnf repo files, wgetrc,
npmrc, gitconfig, condarc, gemrc, apt.conf)."""
_GPGCHECK = (re.compile(r"(?<![\w])(\*\.)?gpgcheck\s*=\s*[\"']?(0|false|no|off)\b", re.IGNORECASE), "gpgcheck=0")
_APT_UNSIGNED = (
    (re.compile(r"AllowUnauthenticated\s*[= ]\s*\"?(true|1|yes)\b", re.IGNORECASE),
     "APT::Get::AllowUnauthenticated"),
    (re.compile(r"Allow(DowngradeTo)?InsecureRepositories\s*[= ]\s*\"?(true|1|yes)\b", re.IGNORECASE),
     "Acquire::AllowInsecureRepositories"),
)
_APT_TRUSTED = (re.compile(r"\[[^\]\n]*\b(trusted|allow-insecure)=yes\b[^\]\n]*\]\s*(?!file:|copy:|cdrom:|[\"'])\S"),
                "apt source with [trusted=yes]")
"""A remote apt source marked trusted; a local ``file:`` repository of packages the build made
itself is not flagged."""
_RPM_LEVEL = (re.compile(r"_pkgverify_level\s+(none|digest)\b"), "rpm _pkgverify_level")
_SIGNATURE_TEXT = (_GPGCHECK, *_APT_UNSIGNED, _APT_TRUSTED, _RPM_LEVEL)
"""Configuration text that turns package signature checks off."""
_ASSIGNMENT_RE = re.compile(r"\b([A-Za-z_][A-Za-z0-9_]*)=([^\s;&|]+)")
_CURLRC_RE = re.compile(r"\b(echo|printf)\b[^|;&\n]*\binsecure\b[^|;&\n]*>>?\s*\S*\.curlrc")
_SED_REPLACEMENT_RE = re.compile(r"s(.)(?:(?!\1).)*\1((?:(?!\1).)*)\1")


def _assignments(command: Command) -> Iterator[tuple[str, str]]:
    """Variables a command sets: prefix assignments, ``export``/``declare -x`` arguments."""
    yield from command.env
    if command.name in ("export", "declare", "typeset", "readonly"):
        for arg in command.args:
            name, eq, value = arg.partition("=")
            if eq and name.isidentifier():
                yield name, value


def _written_text(command: Command) -> list[str]:
    """Configuration text a command writes: echo/printf words, sed replacements."""
    if command.name in ("echo", "printf", "tee"):
        return [" ".join(command.args)]
    if command.name == "sed":
        return [m.group(2) for a in command.args for m in _SED_REPLACEMENT_RE.finditer(a)]
    if command.name == "crudini" and "--set" in command.args:
        words = command.operands()
        return [f"{words[-2]}={words[-1]}"] if len(words) >= 2 else []
    return []


def _text_match(texts: list[str], patterns: tuple[tuple[re.Pattern[str], str], ...]) -> str | None:
    for text in texts:
        for pattern, label in patterns:
            if pattern.search(text):
                return label
    return None


def _env_hits(df: Dockerfile, table: dict[str, Callable[[str], bool]], what: str) -> Iterator[Hit]:
    for stage in df.stages:
        for inst in stage.of("ENV", "ARG", onbuild=True):
            for key, value in key_values(inst.args, legacy=inst.keyword == "ENV"):
                check = table.get(key.upper())
                if check is not None and value is not None and check(value):
                    yield Hit(f"{inst.keyword} {key}={value} turns {what} off", line=inst.line)


def _copy_heredocs(df: Dockerfile) -> Iterator[Instruction]:
    for stage in df.stages:
        for inst in stage.of("COPY", "ADD", onbuild=True):
            if inst.heredocs:
                yield inst


_NPM_FAMILY = ("npm", "yarn", "pnpm")
_STRICT_SSL_RE = re.compile(r"(^| )(--)?(strict-ssl|enablestrictssl)[= ]+(false|0|no)( |$)|(^| )--no-strict-ssl( |$)")
_GIT_SSL_RE = re.compile(r"http\.(\S+\.)?sslverify[= ]+(false|0|no|off)( |$)")
_TLS_FLAG_RE = re.compile(r"^--(src-|dest-)?tls-verify=(false|0)$|^--insecure-skip-tls-verify(=true)?$")


def tls_off(command: Command) -> str | None:
    """How ``command`` turns certificate verification off, or None."""
    args = command.args
    name = command.name
    joined = " ".join(args).lower()
    found: str | None = None
    if name == "curl" and command.has("-k", "--insecure"):
        found = "curl --insecure"
    elif name == "wget" and ("--no-check-certificate" in args or re.search(r"check.certificate\s*=\s*off", joined)):
        found = "wget --no-check-certificate"
    elif (re.match(r"^pip(\d+(\.\d+)?)?$", name) or (name.startswith("python") and "pip" in args)) and (
        any(a.startswith("--trusted-host") or a.endswith(".trusted-host") for a in args)
    ):
        found = "pip trusted-host"
    elif name in _NPM_FAMILY and _STRICT_SSL_RE.search(joined):
        found = f"{name} strict-ssl false"
    elif name == "git" and _GIT_SSL_RE.search(joined):
        found = "git http.sslVerify=false"
    elif name in ("yum", "dnf", "dnf5", "microdnf", "tdnf", "yum-config-manager") and re.search(
        r"(^|[ .=])sslverify=(0|false|no|off)\b", joined
    ):
        found = f"{name} sslverify=0"
    elif name in ("apt-get", "apt", "aptitude") and _text_match([" ".join(args)], (_APT_TLS,)):
        found = f"{name} Acquire::https::Verify-Peer=false"
    elif name in ("mvn", "mvnw", "./mvnw") and _MAVEN_INSECURE_RE.search(" ".join(args)):
        found = "maven insecure SSL"
    elif name in ("conda", "mamba", "micromamba") and (
        command.has("-k", "--insecure") or re.search(r"ssl_verify (false|no|0)\b", joined)
        or "--ssl-verify false" in joined
    ):
        found = f"{name} --insecure"
    elif name == "composer" and re.search(r"(--disable-tls|disable-tls (true|1))", joined):
        found = "composer disable-tls"
    elif name == "bundle" and re.search(r"ssl_verify_mode 0", joined):
        found = "bundle ssl_verify_mode 0"
    elif name == "aws" and "--no-verify-ssl" in args:
        found = "aws --no-verify-ssl"
    elif name == "go" and "-insecure" in args:
        found = "go get -insecure"
    elif name == "svn" and any(a.startswith("--trust-server-cert") for a in args):
        found = "svn --trust-server-cert"
    elif any(_TLS_FLAG_RE.match(a.lower()) for a in args):
        found = f"{name} {next(a for a in args if _TLS_FLAG_RE.match(a.lower()))}"
    if found is None:
        found = next((f"{key}={value}" for key, value in _assignments(command)
                      if (check := TLS_OFF_ENV.get(key.upper())) is not None and check(value)), None)
    if found is None and name == "git" and "config" in args and "sslverify" in joined and " false" in joined:
        found = "git config http.sslVerify false"
    written = _written_text(command)
    if found is None:
        found = _text_match(written, _TLS_TEXT)
    if found is None:  # export NODE_TLS_REJECT_UNAUTHORIZED=0 written into a profile or env file
        found = next((f"{m.group(1)}={m.group(2)}" for text in written for m in _ASSIGNMENT_RE.finditer(text)
                      if (check := TLS_OFF_ENV.get(m.group(1).upper())) is not None and check(m.group(2))), None)
    return found


@rule(meta(
    id="DKR-015", name="tls-verification-disabled", title="TLS certificate verification disabled",
    severity=Severity.HIGH, requirements=(ARTIFACT_CHECK,),
    what="Flags certificate verification turned off in any of the ways real builds do it: flags "
         "(`curl -k/--insecure`, `wget --no-check-certificate`, `pip --trusted-host`, `--tls-verify=false`, "
         "`--insecure-skip-tls-verify`, `aws --no-verify-ssl`, `conda --insecure`, `composer --disable-tls`, "
         "`svn --trust-server-cert`, maven `-Dmaven.wagon.http.ssl.insecure=true`); tool settings "
         "(`npm/yarn/pnpm config set strict-ssl false` or `strict-ssl=false`, `--no-strict-ssl`, "
         "`git config http.sslVerify false` or `git -c http.<url>.sslVerify=false`, "
         "`yum-config-manager`/`dnf config-manager --setopt=*.sslverify=0`, `pip config set "
         "global.trusted-host`, apt `Acquire::https::Verify-Peer=false`, `bundle config ssl_verify_mode 0`); "
         "environment variables set by ENV or ARG, in front of a command or with `export` "
         "(`NODE_TLS_REJECT_UNAUTHORIZED=0`, `GIT_SSL_NO_VERIFY`, `PYTHONHTTPSVERIFY=0`, "
         "`PIP_TRUSTED_HOST`, `NPM_CONFIG_STRICT_SSL=false`, `YARN_ENABLE_STRICT_SSL=false`, "
         "`GOINSECURE`, `BUNDLE_SSL_VERIFY_MODE=0`, `CONDA_SSL_VERIFY=false`); and configuration text "
         "written with echo/printf/sed or a COPY heredoc (`sslverify=0` in a repo file, "
         "`check_certificate = off` in wgetrc, `insecure` in .curlrc, `strict-ssl=false` in .npmrc, "
         "`export GIT_SSL_NO_VERIFY=1` in a shell profile).",
    why="Without certificate checks anyone on the network path can substitute the downloaded "
        "code; ENV settings also keep verification off for the running application.",
    fix="Remove the setting; install the missing CA certificate (`ca-certificates`, or COPY your "
        "corporate CA and run update-ca-certificates) instead.",
    bad="RUN curl -k https://example.com/tool -o /usr/local/bin/tool",
    good="RUN curl -fsSL https://example.com/tool -o /usr/local/bin/tool",
    references=("CWE-295", "Checkov CKV2_DOCKER_2", "Checkov CKV2_DOCKER_3", "Checkov CKV2_DOCKER_4",
                "Checkov CKV2_DOCKER_5", "Checkov CKV2_DOCKER_6", "Checkov CKV2_DOCKER_12",
                "Checkov CKV2_DOCKER_13", "Checkov CKV2_DOCKER_14", "Checkov CKV2_DOCKER_15",
                "Checkov CKV2_DOCKER_16", "Checkov CKV2_DOCKER_18"),
))
def check_tls_off(df: Dockerfile, ctx: RuleContext) -> Iterator[Hit]:
    """Report TLS verification turned off."""
    yield from _env_hits(df, TLS_OFF_ENV, "TLS verification")
    for _stage, inst, commands in run_commands(df):
        found = next((what for c in commands if (what := tls_off(c))), None)
        if found is None and _CURLRC_RE.search(inst.script):
            found = "insecure in .curlrc"
        if found:
            yield Hit(f"RUN disables TLS certificate verification ({found})", line=inst.line)
    for inst in _copy_heredocs(df):
        found = _text_match([h.body for h in inst.heredocs], _TLS_TEXT)
        if found:
            yield Hit(f"{inst.keyword} writes configuration that disables TLS verification ({found})", line=inst.line)


_RPM_NO_CHECK = ("--nosignature", "--nodigest", "--nofiledigest", "--noverify")


def signature_off(command: Command) -> str | None:
    """How ``command`` turns package signature or digest checks off, or None."""
    args = command.args
    name = command.name
    if name == "apk" and "--allow-untrusted" in args:
        return "apk --allow-untrusted"
    if name in ("yum", "dnf", "dnf5", "microdnf", "tdnf", "yum-config-manager") and (
        "--nogpgcheck" in args or _text_match(list(args), (_GPGCHECK,))
    ):
        return f"{name} without GPG check"
    if name == "zypper" and any(a in ("--no-gpg-checks", "--no-gpgcheck", "-G") or a.startswith(
            "--gpgcheck-allow-unsigned") for a in args):
        return "zypper without GPG check"
    if name in ("apt-get", "apt", "aptitude") and (
        any(a in ("--allow-unauthenticated", "--force-yes", "--allow-insecure-repositories") for a in args)
        or _text_match(list(args), _APT_UNSIGNED)
    ):
        return f"{name} --allow-unauthenticated"
    if name == "rpm" and (any(a in _RPM_NO_CHECK for a in args) or _text_match([" ".join(args)], (_RPM_LEVEL,))):
        flag = next((a for a in args if a in _RPM_NO_CHECK), "_pkgverify_level")
        return f"rpm {flag}"
    found = next((f"{key}={value}" for key, value in _assignments(command)
                  if (check := SIGNATURE_OFF_ENV.get(key.upper())) is not None and check(value)), None)
    return found or _text_match(_written_text(command), _SIGNATURE_TEXT)


@rule(meta(
    id="DKR-018", name="package-signature-check-disabled", title="Package signature check disabled",
    severity=Severity.HIGH, requirements=(ARTIFACT_CHECK, OSS_RULES),
    what="Flags `apk --allow-untrusted`; yum/dnf/microdnf/tdnf `--nogpgcheck` or `--setopt=gpgcheck=0` "
         "(also `*.gpgcheck=0` through `yum-config-manager`/`dnf config-manager`); zypper "
         "`--no-gpg-checks` and repositories added with `-G`/`--no-gpgcheck`; `apt-get "
         "--allow-unauthenticated`, `--force-yes`, `--allow-insecure-repositories` and the matching "
         "`-o APT::Get::AllowUnauthenticated`/`Acquire::AllowInsecureRepositories` options; every rpm "
         "flag that skips digests or signatures (`--nosignature`, `--nodigest`, `--nofiledigest`, "
         "`--noverify`, `_pkgverify_level none`); `GOSUMDB=off`; and configuration text written with "
         "echo/printf/sed or a COPY heredoc (`gpgcheck=0` in a repo file, apt sources marked "
         "`[trusted=yes]` or `[allow-insecure=yes]`; local `file:` repositories of packages built in the "
         "same build pass).",
    why="Signatures are what ties a package to its publisher; without them a mirror, proxy or "
        "attacker can serve modified packages that install as root.",
    fix="Import the repository's signing key and keep signature checks on.",
    bad="RUN apk add --allow-untrusted /tmp/pkg.apk",
    good="RUN apk add --no-cache pkg=1.2.3-r0",
    references=("CWE-347", CIS_4_11, "Checkov CKV2_DOCKER_7", "Checkov CKV2_DOCKER_8", "Checkov CKV2_DOCKER_9",
                "Checkov CKV2_DOCKER_10", "Checkov CKV2_DOCKER_11"),
))
def check_signature_off(df: Dockerfile, ctx: RuleContext) -> Iterator[Hit]:
    """Report package signature checks turned off."""
    yield from _env_hits(df, SIGNATURE_OFF_ENV, "checksum verification")
    for _stage, inst, commands in run_commands(df):
        found = next((what for c in commands if (what := signature_off(c))), None)
        if found is None and _APT_TRUSTED[0].search(inst.script):
            found = _APT_TRUSTED[1]  # also in heredocs and cat <<EOF bodies
        if found:
            yield Hit(f"RUN turns package signature checks off ({found})", line=inst.line)
    for inst in _copy_heredocs(df):
        found = _text_match([h.body for h in inst.heredocs], _SIGNATURE_TEXT)
        if found:
            yield Hit(f"{inst.keyword} writes configuration that turns signature checks off ({found})",
                      line=inst.line)


_KEY_ID_RE = re.compile(r"^(0x)?([0-9A-Fa-f]{8}|[0-9A-Fa-f]{16})$")
_DOWNLOADERS = ("curl", "wget", "fetch")
_LOCALHOST = ("http://localhost", "http://127.", "http://[::1]")


def _http(word: str) -> bool:
    return word.lower().startswith(("http://", "hkp://", "ftp://")) and not word.lower().startswith(_LOCALHOST)


def _key_import(command: Command) -> bool:
    """True for commands that add a key to a trust store (rpm, apt-key, gpg)."""
    args = command.args
    return ((command.name == "rpm" and "--import" in args)
            or (command.name == "apt-key" and ("add" in args or "adv" in args))
            or (command.name in ("gpg", "gpg2") and any(a in ("--import", "--dearmor", "--enarmor", "--recv-keys",
                                                                "--recv-key", "--receive-keys", "--fetch-keys")
                                                        for a in args)))


def insecure_key(commands: tuple[Command, ...]) -> str | None:
    """How a signing key is fetched without authentication, or None."""
    for index, command in enumerate(commands):
        if not _key_import(command):
            continue
        args = list(command.args)
        url = next((a for a in args if _http(a)), None)
        if url and (command.name == "rpm" or "--fetch-keys" in args or "add" in args or "--import" in args):
            return f"{command.name} imports a key from {url}"
        for flag in ("--recv-keys", "--recv-key", "--receive-keys"):
            if flag in args:
                short = [a for a in args[args.index(flag) + 1:] if _KEY_ID_RE.match(a)]
                if short:
                    return f"{command.name} {flag} {short[0]}: a short key id, which anyone can forge"
        if set(command.piped_from) & set(_DOWNLOADERS):
            upstream = next((c for c in reversed(commands[:index]) if c.name in _DOWNLOADERS), None)
            url = next((a for a in upstream.args if _http(a)), None) if upstream else None
            if url:
                return f"{upstream.name if upstream else 'download'} {url} piped into {command.name}"
    return None


@rule(meta(
    id="DKR-059", name="signing-key-fetched-insecurely", title="Package signing key fetched without authentication",
    severity=Severity.HIGH, requirements=(ARTIFACT_CHECK, OSS_RULES),
    what="Flags signing keys added to a trust store from an unauthenticated source: `rpm --import "
         "http://...`, `apt-key add`/`gpg --import`/`gpg --dearmor` of a key downloaded over http:// "
         "(`curl http://... | apt-key add -`), `apt-key adv --fetch-keys http://...`, and keys received "
         "from a keyserver by a short key id (`--recv-keys 8507EFA5`: 8 or 16 hex digits) instead of the "
         "full 40-digit fingerprint. Key ids held in shell variables are not judged.",
    why="Every signature check later in the build trusts this key: a key swapped in transit, or a "
        "forged key whose short id collides (they are cheap to generate), lets an attacker sign the "
        "packages the image installs.",
    fix="Fetch keys over https from the vendor, or receive them by full fingerprint "
        "(`gpg --recv-keys B97B0AFCAA1A47F044F244A07FCC7D46ACCC4CF8`), and check the fingerprint.",
    bad="RUN rpm --import http://repo.example.com/RPM-GPG-KEY-example",
    good="RUN rpm --import https://repo.example.com/RPM-GPG-KEY-example",
    references=("CWE-295", "CWE-347", "CWE-494", CIS_4_11),
))
def check_insecure_key(df: Dockerfile, ctx: RuleContext) -> Iterator[Hit]:
    """Report signing keys fetched without authentication."""
    for _stage, inst, commands in run_commands(df):
        found = insecure_key(commands)
        if found:
            yield Hit(f"RUN trusts a signing key fetched without authentication ({found})", line=inst.line)


_GLOBAL_KEYRING = "/etc/apt/trusted.gpg"
_GLOBAL_KEY_RE = re.compile(r"(>|-o|--output|--keyring)\s*=?\s*/etc/apt/trusted\.gpg(\.d/|\s|$)")


def _global_key(command: Command) -> str | None:
    if command.name == "apt-key" and any(a in ("add", "adv") for a in command.args):
        return "apt-key"
    operands = command.operands()
    if command.name in ("cp", "mv", "install", "ln") and operands and operands[-1].startswith(_GLOBAL_KEYRING):
        return f"{command.name} into {_GLOBAL_KEYRING}.d"
    if command.name == "tee" and any(o.startswith(_GLOBAL_KEYRING) for o in operands):
        return f"tee into {_GLOBAL_KEYRING}.d"
    joined = " ".join(command.args)
    if command.name in ("gpg", "gpg2", "curl", "wget") and _GLOBAL_KEY_RE.search(joined.replace("-O ", "-o ")):
        return f"{command.name} writes into {_GLOBAL_KEYRING}.d"
    return None


@rule(meta(
    id="DKR-060", name="apt-key-trusted-for-all-repositories",
    title="apt signing key trusted for every repository",
    severity=Severity.MEDIUM, requirements=(ARTIFACT_CHECK, OSS_RULES),
    what="Flags `apt-key add`/`apt-key adv` and keys written into `/etc/apt/trusted.gpg` or "
         "`/etc/apt/trusted.gpg.d/` (by gpg `-o`, curl/wget `-o`, cp/mv/install/tee, a redirect, or "
         "COPY/ADD), where apt trusts them for every configured repository.",
    why="A key in the global keyring can sign packages for any repository, the distribution's own "
        "included: a compromised third-party repository can then replace core packages. apt-key is "
        "deprecated for this reason.",
    fix="Store the key under `/usr/share/keyrings/` (or `/etc/apt/keyrings/`) and reference it from the "
        "one source that needs it: `deb [signed-by=/usr/share/keyrings/example.gpg] https://... main`.",
    bad="RUN curl -fsSL https://repo.example.com/key.asc | apt-key add -",
    good="RUN curl -fsSL https://repo.example.com/key.asc | gpg --dearmor -o /usr/share/keyrings/example.gpg \\\n"
         " && echo \"deb [signed-by=/usr/share/keyrings/example.gpg] https://repo.example.com/apt stable main\" \\\n"
         "    > /etc/apt/sources.list.d/example.list",
    references=("https://wiki.debian.org/DebianRepository/UseThirdParty", "CWE-347"),
))
def check_global_apt_key(df: Dockerfile, ctx: RuleContext) -> Iterator[Hit]:
    """Report apt keys trusted for every repository."""
    for _stage, inst, commands in run_commands(df):
        found = next((what for c in commands if (what := _global_key(c))), None)
        if found is None and re.search(r">>?\s*/etc/apt/trusted\.gpg(\.d/|\s|$)", inst.script):
            found = f"redirect into {_GLOBAL_KEYRING}.d"
        if found:
            yield Hit(f"RUN adds an apt key trusted for every repository ({found})", line=inst.line)
    for stage in df.stages:
        for inst in stage.of("COPY", "ADD", onbuild=True):
            words = inst.exec_form or tuple(inst.expanded.split())
            if words and words[-1].startswith(_GLOBAL_KEYRING):
                yield Hit(f"{inst.keyword} puts a key into {_GLOBAL_KEYRING}.d, trusted for every repository",
                          line=inst.line)
