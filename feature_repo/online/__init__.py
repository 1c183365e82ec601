"""The online stores behind the profiles: their endpoints, retry settings and errors."""
