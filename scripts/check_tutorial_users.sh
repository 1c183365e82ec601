#!/usr/bin/env bash
# Build the feature tables from the tutorial's own users.csv (as it ships) and generated transactions,
# in a throw-away data directory, and print what came out. Usage: scripts/check_tutorial_users.sh PATH/users.csv
set -euo pipefail
users_csv="${1:?usage: $0 PATH/users.csv}"
cd "$(dirname "$0")/.."
export DELIVERY_FS_DATA_DIR="$(mktemp -d)"
trap 'rm -rf "$DELIVERY_FS_DATA_DIR"' EXIT
.venv/bin/delivery-fs generate-data
.venv/bin/delivery-fs build-features --users "$users_csv" --transactions "$DELIVERY_FS_DATA_DIR/raw/transactions.csv"
.venv/bin/python -c "
import pandas as pd, os
profile = pd.read_parquet(os.path.join(os.environ['DELIVERY_FS_DATA_DIR'], 'features', 'user_profile.parquet'))
print(profile.groupby('neighborhood').user_id.nunique().sort_values(ascending=False).to_string())
"
