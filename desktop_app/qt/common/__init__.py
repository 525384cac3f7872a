"""What every part of the window uses: translation, signals from workers, worker threads, the
theme, overlays, About.
"""
