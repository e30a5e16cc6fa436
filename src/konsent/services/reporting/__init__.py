"""What the reports share: the ledger read as facts, periods for charts, the owner's words for codes.

The answer pack for the authority (services/answer_pack.py), the dashboard (services/dashboard.py) and
the records of processing (services/processing_record.py) are built from these.
"""
