window.YTD.note_tweet.part0 = [
  {
    "noteTweet" : {
      "noteTweetId" : "1790000000000000001",
      "updatedAt" : "2026-02-18T07:00:00.000Z",
      "lifecycle" : {
        "value" : "updated",
        "name" : "Updated",
        "originalName" : "updated",
        "annotations" : {}
      },
      "createdAt" : "2026-02-18T07:00:00.000Z",
      "core" : {
        "styletags" : [],
        "urls" : [],
        "text" : "긴 글입니다. 긴 글입니다. 긴 글입니다. 긴 글입니다. 긴 글입니다. 긴 글입니다. 긴 글입니다. 긴 글입니다. 긴 글입니다. 긴 글입니다. 긴 글입니다. 긴 글입니다. 긴 글입니다. 긴 글입니다. 긴 글입니다. 긴 글입니다. 긴 글입니다. 긴 글입니다. 긴 글입니다. 긴 글입니다. 긴 글입니다. 긴 글입니다. 긴 글입니다. 긴 글입니다. 긴 글입니다. 긴 글입니다. 긴 글입니다. 긴 글입니다. 긴 글입니다. 긴 글입니다. Длинный пост о поездке в Пусан. رحلة طويلة. 長い投稿です。这是一篇长文。",
        "mentions" : [],
        "cashtags" : [],
        "hashtags" : []
      }
    }
  }
]