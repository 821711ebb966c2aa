"""Static assets of the API (vendored Leaflet for offline HTML maps)."""
