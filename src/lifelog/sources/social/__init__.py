"""Social networks' own archives: Twitter / X, Mastodon, Reddit."""
