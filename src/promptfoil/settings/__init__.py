"""Settings declared once: each with its rule (type and range), default, CLI flag, help and
whether it changes answers (recorded in results and checked on resume) or is plumbing. The
CLI options, the checks of :class:`~promptfoil.config.Search` and of component options, and
the settings a results file records are all generated from the declarations.
"""
