window.YTD.like.part0 = [
  {
    "like" : {
      "tweetId" : "1999999999999999999",
      "fullText" : "我们明天去长城吧 &lt;3",
      "expandedUrl" : "https://twitter.com/i/web/status/1999999999999999999"
    }
  }
]