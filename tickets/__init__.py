"""The service hall's queue: categories, windows, tickets, calls, appointments, ratings, stats."""
