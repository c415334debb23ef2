#!/usr/bin/env bash
# Creates training/.venv-agent for the reinforcement-learning agent (train_agent.py)
# with the pinned requirements-agent.txt (which includes requirements.txt). About
# 5.8 GB (torch's default PyPI wheel brings its CUDA libraries) and a few minutes the
# first time; CI never runs it. Refuses with under 8 GB free.
set -euo pipefail
exec "$(dirname "$0")/make_venv.sh" .venv-agent requirements-agent.txt 8 requirements.txt requirements-agent.txt
