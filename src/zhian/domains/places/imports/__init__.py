"""Bulk import of house numbers and organizations from CSV and XLSX (one job per file).

``reader`` turns a file into rows of text, ``rows`` checks and registers one row through the
registry's services, ``service`` runs a job in chunks (each committed, so its progress can be
polled), ``api`` takes the upload and serves the job and its rejected rows, ``pages`` is the
console's import page and a job's page with live progress and the error report.
"""
