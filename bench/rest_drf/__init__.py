"""The Django REST Framework peer of bench/rest_bench.py: the same tables, the same requests."""
