"""HeadRouter head profiles: the profile file format (``format``), calibration (``calibrate``), CLI."""
