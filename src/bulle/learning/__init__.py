"""Models trained on a project's data: training that can forget, and the audit before release."""
