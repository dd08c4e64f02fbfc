"""The standard-address registry (一标三实): roads, house numbers, buildings, rooms, organizations.

Townships and communities are `place_division` rows (levels ``township`` and ``community``,
9- and 12-digit codes under their county). ``index`` holds the in-memory lookup the
``matcher`` geocodes against; ``service`` is the scoped, audited access; ``api`` the routes.
"""
