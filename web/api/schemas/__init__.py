"""The API's request and answer bodies as msgspec types, one small module per area.

They are the single declaration of each body: requests are decoded and validated from them and
``/api/openapi.json`` is generated from them.
"""
