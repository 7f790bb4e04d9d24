"""Who signs in and how: the second factor (django-otp), the login lockout (django-axes),
the limits of a session, API tokens, and the security events of all of it."""
