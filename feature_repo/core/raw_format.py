"""The public delivery tutorial's raw format: columns, types and the real category shares.

The shares of the users table are those of the tutorial's ``users.csv`` (12,450 rows);
the transactions table is described by the tutorial's notebook (223,971 rows).
"""

from __future__ import annotations

from typing import Final

USERS: Final = "users"
TRANSACTIONS: Final = "transactions"

# Column -> kind, in the tutorial's order. Kinds: int, float, str, date (YYYY-MM-DD), datetime.
USER_COLUMNS: Final[dict[str, str]] = {
    "user_id": "int",
    "gender": "str",
    "neighborhoods": "str",
    "type_service": "str",
    "registration_channel": "str",
    "registration_date": "date",
    "birth_date": "date",
    "system_operation": "str",
}

TRANSACTION_COLUMNS: Final[dict[str, str]] = {
    "transaction_id": "int",
    "user_id": "int",
    "amount": "float",
    "shipping_costs": "float",
    "discount_coupon": "int",
    "discount_coupon_amount": "int",
    "payment_method": "str",
    "transaction_date": "datetime",
    "delivery_type": "str",
}

# Money columns and their plausible range, in the data's currency: a value outside [0, MONEY_MAX] is
# refused wherever orders come in (raw files, pushes), naming the column, before any arithmetic (cents
# of 1e308 overflow). Delivery orders cost tens of units; 100,000 leaves room for any real one.
MONEY_COLUMNS: Final = ("amount", "shipping_costs", "discount_coupon_amount")
MONEY_MAX: Final = 100_000
INT64_RANGE: Final = (-(2**63), 2**63 - 1)  # ids and counts are stored as int64

COLUMNS_BY_TABLE: Final[dict[str, dict[str, str]]] = {
    USERS: USER_COLUMNS,
    TRANSACTIONS: TRANSACTION_COLUMNS,
}

# Sizes and ranges of the tutorial's data set.
TUTORIAL_USER_COUNT: Final = 12_450
TUTORIAL_TRANSACTION_COUNT: Final = 223_971
TUTORIAL_USERS_WITH_TRANSACTIONS: Final = 9_658
TUTORIAL_FIRST_USER_ID: Final = 112_312
TUTORIAL_START_DATE: Final = "2020-04-01"
TUTORIAL_END_DATE: Final = "2020-10-30"
TUTORIAL_BIRTH_DATE_RANGE: Final = ("1932-01-25", "2002-12-30")

# Counts in the tutorial's users.csv.
GENDER_COUNTS: Final = {"M": 6_226, "F": 6_224}
TYPE_SERVICE_COUNTS: Final = {"normal": 7_594, "premium": 4_856}
REGISTRATION_CHANNEL_COUNTS: Final = {
    "Google": 4_731,
    "Instagram": 2_366,
    "Facebook": 2_116,
    "Marketplace": 1_494,
    "Recommendation": 996,
    "Promotional code": 747,
}
SYSTEM_OPERATION_COUNTS: Final = {"Android": 10_175, "Web": 1_779, "IOS": 496}
REGISTRATION_MONTH_COUNTS: Final = {
    4: 635, 5: 610, 6: 5_005, 7: 4_955, 8: 421, 9: 393, 10: 431,
}  # fmt: skip
NEIGHBORHOOD_COUNTS: Final = {
    "Chelsea": 701, "Greenwich Village": 689, "Tribeca": 681, "Financial District": 664,
    "Lower East Side": 664, "Hell's Kitchen": 647, "SoHo": 643, "Midtown": 629,
    "East Village": 623, "Harlem": 591, "Stuyvesant Town": 269, "Tudor City": 262,
    "Hamilton Heights": 260, "Little Italy": 257, "Nolita": 254, "Yorkville": 252,
    "Carnegie Hill": 245, "Sutton Place": 240, "Lenox Hill": 237, "Morningside Heights": 235,
    "Turtle Bay": 229, "NoHo": 224, "Sugar Hill": 220, "Two Bridges": 219,
    "Manhattan Valley": 218, "Upper West Side": 216, "Murray Hill": 215,
    "Flatiron District": 213, "Roosevelt Island": 211, "Chinatown": 209,
    "Battery Park City": 207, "Upper East Side": 206, "Civic Center": 199, "Gramercy": 199,
    "West Village": 189, "Kips Bay": 166, "Washington Heights": 39, "Inwood": 28,
}  # fmt: skip
# Birth years in users.csv: a uniform older tail and a young majority (1985-2002).
BIRTH_YEAR_BANDS: Final = {(1932, 1975): 1_271, (1976, 1984): 1_743, (1985, 2002): 9_436}

# Transactions: food categories ("delivery_type") with shares, and payment methods.
DELIVERY_TYPE_SHARES: Final = {
    "Chicken": 0.16, "Pizza": 0.14, "Burgers": 0.12, "Sushi": 0.09, "Mexican": 0.08,
    "Chinese": 0.08, "Italian": 0.07, "Salads": 0.06, "Indian": 0.05, "Thai": 0.05,
    "Breakfast": 0.04, "Desserts": 0.03, "Vegan": 0.02, "Seafood": 0.01,
}  # fmt: skip
PAYMENT_METHOD_SHARES: Final = {
    "Credit card": 0.46, "Debit card": 0.27, "Digital wallet": 0.18, "Cash": 0.09,
}  # fmt: skip
TRANSACTION_DATE_FORMAT: Final = "%Y-%m-%d %H:%M:%S"
DATE_FORMAT: Final = "%Y-%m-%d"
