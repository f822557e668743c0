window.YTD.bookmark.part0 = [
  {
    "bookmark" : {
      "tweetId" : "1888888888888888888",
      "fullText" : "Рецепт борща",
      "expandedUrl" : "https://twitter.com/i/web/status/1888888888888888888"
    }
  }
]