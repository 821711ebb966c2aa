"""Pages and documents people see: route sheets, GPX/GeoJSON, charts, and the web pages.

``documents`` builds files from domain plans (pure functions); ``router`` serves the
pages (server-rendered templates, vendored Leaflet, no CDN) that talk to the JSON API.
"""
