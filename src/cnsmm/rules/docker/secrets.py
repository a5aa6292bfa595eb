"""Secret rules: secret-named ENV/ARG, secret-shaped values, sensitive files, URL and command-line credentials."""

from __future__ import annotations

import fnmatch
import re
from collections.abc import Iterator

from cnsmm.rules._secrets import SHAPES, entropy, shape_of
from cnsmm.rules.base import Hit, RuleContext, rule
from cnsmm.rules.docker._common import (
    ARTIFACT_CHECK,
    CIS_4_10,
    Command,
    Dockerfile,
    Instruction,
    Severity,
    meta,
    patterns,
    run_commands,
    runs,
)
from cnsmm.rules.docker.download import sources
from cnsmm.sources._dockerfile_syntax import key_values

_SECRET_NAME_RE = re.compile(
    r"(PASSWORD|PASSWD|PASSPHRASE|(^|_)PASS($|_)|(^|_)PWD($|_)|SECRET|TOKEN|API_?KEY|PRIVATE_?KEY|"
    r"ACCESS_?KEY|SECRET_?KEY|CLIENT_?SECRET|CREDENTIAL|AUTH_?KEY|SIGNING_?KEY|ENCRYPTION_?KEY|"
    r"(^|_)DSN$|CONNECTION_?STRING)", re.IGNORECASE)
_NOT_SECRET_RE = re.compile(r"(_FILE|_PATH|_DIR|_URL|_URI|_NAME|_USER|_USERNAME|_HOST|_ENDPOINT|_LENGTH|"
                            r"_EXPIRY|_TTL|_ID|_HEADER|_REGION|_TYPE|_ENABLED|_MODE)$", re.IGNORECASE)
_BENIGN_VALUES = frozenset({"", "true", "false", "yes", "no", "0", "1", "on", "off", "none", "null",
                            "changeme", "<secret>", "xxx", "placeholder"})

SECRET_PATTERNS = SHAPES
"""Value shapes that are secrets wherever they appear (shared with the other rule families)."""

DEFAULT_SENSITIVE_FILES: tuple[str, ...] = (
    ".env", ".env.*", "*.env", "id_rsa", "id_dsa", "id_ecdsa", "id_ed25519", "*.pem", "*.key", "*.p12",
    "*.pfx", "*.jks", "*.keystore", ".git", ".aws", ".ssh", ".npmrc", ".pypirc", ".netrc", ".htpasswd",
    ".git-credentials", ".dockercfg", "credentials", "credentials.json", "kubeconfig", ".kube",
    "secrets.yaml", "secrets.yml", "*.tfstate", ".vault-token",
)
_SAFE_FILES = frozenset({".env.example", ".env.sample", ".env.template", ".env.dist"})
_URL_CREDENTIALS_RE = re.compile(
    r"\b[a-z][a-z0-9+.-]{0,31}://([^\s/:@'\"]+):([^\s/@'\"]+)@[^\s/'\"]+", re.IGNORECASE)


def secret_name(name: str) -> bool:
    """True for names such as ``DB_PASSWORD``, ``API_KEY``, ``GITHUB_TOKEN``."""
    return bool(_SECRET_NAME_RE.search(name)) and not _NOT_SECRET_RE.search(name)


def secret_shape(value: str) -> str | None:
    """Name of the secret kind ``value`` looks like, or None."""
    label = shape_of(value)
    if label is not None:
        return label
    token = value.strip().strip("'\"")
    if (len(token) >= 32 and " " not in token and "$" not in token and "/" not in token.rstrip("=")
            and re.search(r"[a-z]", token) and re.search(r"[A-Z]", token) and re.search(r"\d", token)
            and entropy(token) >= 4.5):
        return "high-entropy string"
    return None


def _pairs(df: Dockerfile, *keywords: str) -> Iterator[tuple[Instruction, str, str | None]]:
    for inst in df.instructions(onbuild=True):
        if inst.keyword in keywords:
            for key, value in key_values(inst.args, legacy=inst.keyword in ("ENV", "LABEL")):
                yield inst, key, value


@rule(meta(
    id="DKR-036", name="secret-name-in-env", title="Secret-named ENV with a value",
    severity=Severity.HIGH, requirements=(ARTIFACT_CHECK,),
    what="Flags ENV variables whose name says secret (PASSWORD, TOKEN, SECRET, API_KEY, "
         "PRIVATE_KEY, ACCESS_KEY, CREDENTIALS, ...) and that are given a value. Names ending in "
         "_FILE, _PATH, _URL, _USER and the like, and boolean or empty values, pass.",
    why="ENV values are stored in the image configuration: anyone who can pull the image reads "
        "them with `docker inspect`, forever, whatever later layers do.",
    fix="Inject the secret at run time (orchestrator secret, mounted file) or at build time with "
        "`RUN --mount=type=secret`; never bake it into ENV.",
    bad="ENV DB_PASSWORD=s3cr3t",
    good="ENV DB_PASSWORD_FILE=/run/secrets/db_password",
    references=(CIS_4_10, "CWE-798", "CWE-522", "Docker build check SecretsUsedInArgOrEnv", "hadolint DL3064"),
))
def check_env_name(df: Dockerfile, ctx: RuleContext) -> Iterator[Hit]:
    """Report secret-named ENV values."""
    for inst, key, value in _pairs(df, "ENV"):
        if secret_name(key) and value is not None and value.strip().lower() not in _BENIGN_VALUES:
            yield Hit(f"ENV {key} puts a secret into the image configuration", line=inst.line)


@rule(meta(
    id="DKR-037", name="secret-name-in-arg", title="Secret passed as a build argument",
    severity=Severity.MEDIUM, requirements=(ARTIFACT_CHECK,),
    what="Flags ARG declarations whose name says secret (PASSWORD, TOKEN, SECRET, API_KEY, ...), "
         "with or without a default value.",
    why="Build-argument values are recorded in the image history (`docker history`) and in build "
        "provenance; a default value is also in the Dockerfile itself.",
    fix="Use a build secret: `RUN --mount=type=secret,id=npm_token ...` and `docker build "
        "--secret id=npm_token,env=NPM_TOKEN`.",
    bad="ARG NPM_TOKEN\nRUN echo \"//registry.npmjs.org/:_authToken=${NPM_TOKEN}\" > .npmrc && npm ci",
    good="RUN --mount=type=secret,id=npmrc,target=/root/.npmrc npm ci",
    references=(CIS_4_10, "CWE-214", "Docker build check SecretsUsedInArgOrEnv", "hadolint DL3064"),
))
def check_arg_name(df: Dockerfile, ctx: RuleContext) -> Iterator[Hit]:
    """Report secret-named build arguments."""
    for inst, key, value in _pairs(df, "ARG"):
        if not secret_name(key):
            continue
        if value:
            yield Hit(f"ARG {key} has a default secret value in the Dockerfile", line=inst.line)
        else:
            yield Hit(f"build argument {key} ends up in the image history; use a build secret",
                      line=inst.line)


@rule(meta(
    id="DKR-038", name="secret-value-in-instruction", title="Secret-shaped value in the Dockerfile",
    severity=Severity.CRITICAL, requirements=(ARTIFACT_CHECK,),
    what="Flags ENV, ARG and LABEL values and RUN scripts containing credentials by their shape: "
         "AWS access key ids, GitHub/GitLab/Slack/npm tokens, Google API keys, Stripe live keys, "
         "private key headers; and, for ENV/ARG/LABEL values only, long high-entropy strings "
         "(32+ characters mixing cases and digits, entropy >= 4.5 bits/char; hex checksums pass).",
    why="A credential committed in a Dockerfile is leaked to everyone with access to the "
        "repository or the image, and must be revoked.",
    fix="Revoke the credential, remove it from the file and its history, and inject it at run "
        "time or with `RUN --mount=type=secret`.",
    bad="ENV AWS_ACCESS_KEY_ID=AKIAIOSFODNN7EXAMPLE",
    good="RUN --mount=type=secret,id=aws aws s3 cp s3://bucket/x /x",
    references=(CIS_4_10, "CWE-798"),
))
def check_secret_value(df: Dockerfile, ctx: RuleContext) -> Iterator[Hit]:
    """Report values shaped like credentials."""
    for inst, key, value in _pairs(df, "ENV", "ARG", "LABEL"):
        kind = secret_shape(value) if value else None
        if kind:
            yield Hit(f"{inst.keyword} {key} holds what looks like a {kind}", line=inst.line)
    for _stage, inst in runs(df):
        script = inst.script
        label = next((label for label, pattern in SECRET_PATTERNS if pattern.search(script)), None)
        if label:
            yield Hit(f"RUN contains what looks like a {label}", line=inst.line)


@rule(meta(
    id="DKR-039", name="sensitive-file-copied", title="Sensitive file copied into the image",
    severity=Severity.HIGH, requirements=(ARTIFACT_CHECK,),
    what="Flags COPY and ADD sources whose file name is a credential or repository file: `.env`, "
         "SSH keys (`id_rsa`, `id_ed25519`), `*.pem`, `*.key`, `*.p12`, `.git`, `.aws`, `.ssh`, "
         "`.npmrc`, `.pypirc`, `.netrc`, kubeconfig, Terraform state (configurable).",
    why="Files copied into a layer stay in the image even if a later step deletes them; keys and "
        "tokens in them are readable by anyone who pulls the image.",
    fix="Do not copy the file; mount it for the one step that needs it (`RUN --mount=type=secret` "
        "or `--mount=type=ssh`) and list it in .dockerignore.",
    bad="COPY id_rsa /root/.ssh/id_rsa",
    good="RUN --mount=type=ssh git clone git@github.com:org/private.git",
    references=(CIS_4_10, "CWE-538", "CWE-312"),
    options={"dockerfile.sensitive_files": "Glob patterns of sensitive file names."},
))
def check_sensitive_file(df: Dockerfile, ctx: RuleContext) -> Iterator[Hit]:
    """Report sensitive files in COPY/ADD."""
    globs = patterns(ctx, "dockerfile.sensitive_files", DEFAULT_SENSITIVE_FILES)
    for inst in df.instructions(onbuild=True):
        if inst.keyword not in ("COPY", "ADD"):
            continue
        for src in sources(inst):
            name = src.rstrip("/").rsplit("/", 1)[-1]
            if name.lower() in _SAFE_FILES or src.startswith(("http://", "https://")):
                continue
            if any(fnmatch.fnmatch(name, p) for p in globs):
                yield Hit(f"{inst.keyword} copies sensitive file {src!r} into the image", line=inst.line)
                break


@rule(meta(
    id="DKR-040", name="credentials-in-url", title="Password embedded in a URL",
    severity=Severity.HIGH, requirements=(ARTIFACT_CHECK,),
    what="Flags URLs with a literal `user:password@` part in any instruction (RUN, ADD, ENV, "
         "ARG, LABEL). Passwords that are only a variable reference pass here (DKR-037 covers "
         "secret build arguments).",
    why="The URL, password included, is stored in the layer metadata, build logs and history.",
    fix="Remove the credential from the URL; use a build secret or a credential helper.",
    bad="RUN git clone https://deploy:hunter2@git.example.com/app.git",
    good="RUN --mount=type=secret,id=git_token git clone https://git.example.com/app.git",
    references=("CWE-798", "CWE-522", CIS_4_10),
))
def check_url_credentials(df: Dockerfile, ctx: RuleContext) -> Iterator[Hit]:
    """Report ``user:password@host`` URLs."""
    for inst in df.instructions(onbuild=True):
        text = inst.script if inst.keyword == "RUN" else inst.args
        for match in _URL_CREDENTIALS_RE.finditer(text):
            if not match.group(2).startswith("$"):
                yield Hit(f"{inst.keyword} has a URL with an embedded password ({match.group(1)}:***@...)",
                          line=inst.line)
                break


_PASSWORD_FLAGS: dict[str, tuple[str, ...]] = {
    "wget": ("--password", "--http-password", "--ftp-password", "--proxy-password"),
    "docker": ("-p", "--password"), "podman": ("-p", "--password"), "buildah": ("-p", "--password"),
    "helm": ("--password",), "oras": ("-p", "--password"),
    "crane": ("-p", "--password"), "sshpass": ("-p",), "mysql": ("--password",),
    "mysqladmin": ("--password",), "mysqldump": ("--password",), "smbclient": ("--password",),
}
_NPM_AUTH_RE = re.compile(r"(^|:)(_authToken|_auth|_password|npmAuthToken)$")


def _literal(value: str) -> bool:
    value = value.strip("'\"")
    return bool(value) and value not in ("-", "*") and "$" not in value and not value.startswith("/run/secrets")


def _flag_value(args: list[str], flags: tuple[str, ...]) -> str | None:
    for index, arg in enumerate(args):
        name, eq, value = arg.partition("=")
        if name in flags and eq:
            return value
        if arg in flags and index + 1 < len(args):
            return args[index + 1]
    return None


def command_line_secret(command: Command) -> str | None:
    """Which option of ``command`` carries a literal password or token, or None."""
    args = list(command.args)
    name = command.name
    if name == "curl":
        user = _flag_value(args, ("-u", "--user", "--proxy-user", "-U"))
        if user and ":" in user and _literal(user.split(":", 1)[1]):
            return "curl --user user:password"
    if name in ("mysql", "mysqladmin", "mysqldump"):
        short = next((a[2:] for a in args if a.startswith("-p") and len(a) > 2), None)
        if short and _literal(short):
            return f"{name} -p<password>"
    flags = _PASSWORD_FLAGS.get(name)
    needs_login = name in ("docker", "podman", "buildah")  # elsewhere -p publishes a port
    if flags and (not needs_login or "login" in args):
        value = _flag_value(args, flags)
        if value is not None and _literal(value):
            return f"{name} {flags[-1]}"
    if name == "skopeo":
        creds = _flag_value(args, ("--creds", "--src-creds", "--dest-creds"))
        if creds and ":" in creds and _literal(creds.split(":", 1)[1]):
            return "skopeo --creds user:password"
    if name == "htpasswd" and any(a.startswith("-") and "b" in a[1:] and not a.startswith("--") for a in args):
        operands = command.operands()
        if len(operands) >= 3 and _literal(operands[-1]):
            return "htpasswd -b"
    if name in ("npm", "yarn", "pnpm") and "set" in args:
        index = args.index("set")
        key = args[index + 1] if index + 1 < len(args) else ""
        key, eq, inline = key.partition("=")
        value = inline if eq else (args[index + 2] if index + 2 < len(args) else "")
        if _NPM_AUTH_RE.search(key) and _literal(value):
            return f"{name} config set {key.rsplit(':', 1)[-1]}"
    return None


@rule(meta(
    id="DKR-061", name="secret-on-command-line", title="Password or token given on a RUN command line",
    severity=Severity.HIGH, requirements=(ARTIFACT_CHECK,),
    what="Flags literal passwords and tokens passed as command options in RUN: `curl -u user:password`, "
         "`wget --password=`/`--http-password=`, `docker/podman/helm/oras/crane login -p`, `skopeo --creds "
         "user:password`, "
         "`sshpass -p`, `mysql -p<password>`/`--password=`, `htpasswd -b file user password`, and "
         "`npm/yarn config set ...:_authToken <token>` (also `_auth`, `_password`, `npmAuthToken`). "
         "Values that are shell variables (`$TOKEN`, `$(cat /run/secrets/x)`) pass.",
    why="The command line, password included, is stored in the image history (`docker history`) and "
        "build logs; npm config writes the token into the image's .npmrc as well.",
    fix="Mount the credential for the one step that needs it (`RUN --mount=type=secret,id=token "
        "TOKEN=$(cat /run/secrets/token) ...`) and read it from the file or variable.",
    bad="RUN curl -u deploy:hunter2 -fsSLO https://artifacts.example.com/tool.tar.gz",
    good="RUN --mount=type=secret,id=artifacts_netrc,target=/root/.netrc \\\n"
         "    curl --netrc -fsSLO https://artifacts.example.com/tool.tar.gz",
    references=(CIS_4_10, "CWE-214", "CWE-798"),
))
def check_command_line_secret(df: Dockerfile, ctx: RuleContext) -> Iterator[Hit]:
    """Report literal credentials in RUN command options."""
    for _stage, inst, commands in run_commands(df):
        found = next((what for c in commands if (what := command_line_secret(c))), None)
        if found:
            yield Hit(f"RUN passes a literal credential on the command line ({found})", line=inst.line)
