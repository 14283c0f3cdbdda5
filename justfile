# Everyday recipes. `just --list` shows them.

default:
    @just --list

# The README's test command.
test:
    cargo test --workspace

# Format and lint exactly as CI does.
lint:
    cargo fmt --all -- --check
    cargo clippy --workspace --all-targets -- -D warnings

fmt:
    cargo fmt --all

# Validate every example spec.
examples:
    cargo run -q -p sbcctl -- validate --deny-warnings examples/*.yaml examples/pbx/*.yaml

# Regenerate the committed JSON Schema of the spec.
schema:
    cargo run -q -p sbcctl -- schema > schemas/sbcctl.schema.json
    cargo run -q -p sbcctl -- schema --markdown > docs/spec-reference.md

# Accept new or changed insta snapshots (review them first: `git diff snapshots/`).
snapshots:
    INSTA_UPDATE=always cargo test --workspace

# Start the quickstart host (plain WS on 127.0.0.1:8080).
quickstart:
    cargo run -p sbcctl -- run examples/quickstart.yaml

# The interop tier (installs SIPp and Chromium with apt-get; needs root).
interop:
    bash interop/run.sh

# The whole CI job.
ci:
    bash .ci/run

# Criterion benchmarks.
bench:
    cargo bench --workspace
