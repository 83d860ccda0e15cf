"""The linked number's profile, its contacts and their LIDs (issue 15)."""
