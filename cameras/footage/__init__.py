"""Footage requests from agencies, answered by camera owners, and the clips they produce."""
