window.YTD.tweets.part0 = [
  {
    "tweet" : {
      "edit_info" : {
        "initial" : {
          "editTweetIds" : [
            "2024773764576059625"
          ],
          "editableUntil" : "2026-02-20T10:10:58.000Z",
          "editsRemaining" : "5",
          "isEditEligible" : false
        }
      },
      "retweeted" : false,
      "source" : "<a href=\"https://mobile.twitter.com\" rel=\"nofollow\">Twitter Web App</a>",
      "entities" : {
        "hashtags" : [],
        "symbols" : [],
        "user_mentions" : [],
        "urls" : []
      },
      "display_text_range" : [
        "0",
        "30"
      ],
      "favorite_count" : "3",
      "id_str" : "2024773764576059625",
      "truncated" : false,
      "retweet_count" : "0",
      "id" : "2024773764576059625",
      "created_at" : "Fri Feb 20 09:10:58 +0000 2026",
      "favorited" : false,
      "full_text" : "오늘 한강에서 자전거를 탔어요. 날씨가 정말 좋았어요!",
      "lang" : "ko"
    }
  },
  {
    "tweet" : {
      "edit_info" : {
        "initial" : {
          "editTweetIds" : [
            "2024771320370598323"
          ],
          "editableUntil" : "2026-02-20T10:10:58.000Z",
          "editsRemaining" : "5",
          "isEditEligible" : false
        }
      },
      "retweeted" : false,
      "source" : "<a href=\"https://mobile.twitter.com\" rel=\"nofollow\">Twitter Web App</a>",
      "entities" : {
        "hashtags" : [],
        "symbols" : [],
        "user_mentions" : [],
        "urls" : [
          {
            "url" : "https://t.co/5SoLdok6yj",
            "expanded_url" : "https://example.org/dacha",
            "display_url" : "example.org/dacha",
            "indices" : [
              "36",
              "59"
            ]
          }
        ]
      },
      "display_text_range" : [
        "0",
        "59"
      ],
      "favorite_count" : "3",
      "id_str" : "2024771320370598323",
      "truncated" : false,
      "retweet_count" : "0",
      "id" : "2024771320370598323",
      "created_at" : "Fri Feb 20 09:01:15 +0000 2026",
      "favorited" : false,
      "full_text" : "Пирожки &amp; чай на даче у бабушки https://t.co/5SoLdok6yj",
      "lang" : "ru"
    }
  },
  {
    "tweet" : {
      "edit_info" : {
        "initial" : {
          "editTweetIds" : [
            "2024770905415573725"
          ],
          "editableUntil" : "2026-02-20T10:10:58.000Z",
          "editsRemaining" : "5",
          "isEditEligible" : false
        }
      },
      "retweeted" : false,
      "source" : "<a href=\"https://mobile.twitter.com\" rel=\"nofollow\">Twitter Web App</a>",
      "entities" : {
        "hashtags" : [],
        "symbols" : [],
        "urls" : [],
        "user_mentions" : [
          {
            "name" : "Sama Hoole",
            "screen_name" : "SamaHoole",
            "indices" : [
              "0",
              "10"
            ],
            "id_str" : "2253756806",
            "id" : "2253756806"
          }
        ]
      },
      "display_text_range" : [
        "0",
        "37"
      ],
      "favorite_count" : "3",
      "id_str" : "2024770905415573725",
      "truncated" : false,
      "retweet_count" : "0",
      "id" : "2024770905415573725",
      "created_at" : "Fri Feb 20 08:59:36 +0000 2026",
      "favorited" : false,
      "full_text" : "@SamaHoole &gt; شكرا جزيلا على الوصفة",
      "lang" : "ar",
      "in_reply_to_status_id_str" : "2024769507634360660",
      "in_reply_to_status_id" : "2024769507634360660",
      "in_reply_to_screen_name" : "SamaHoole",
      "in_reply_to_user_id_str" : "2253756806"
    }
  },
  {
    "tweet" : {
      "edit_info" : {
        "initial" : {
          "editTweetIds" : [
            "2024767818445504644"
          ],
          "editableUntil" : "2026-02-20T10:10:58.000Z",
          "editsRemaining" : "5",
          "isEditEligible" : false
        }
      },
      "retweeted" : false,
      "source" : "<a href=\"https://mobile.twitter.com\" rel=\"nofollow\">Twitter Web App</a>",
      "entities" : {
        "hashtags" : [],
        "symbols" : [],
        "user_mentions" : [],
        "urls" : []
      },
      "display_text_range" : [
        "0",
        "29"
      ],
      "favorite_count" : "3",
      "id_str" : "2024767818445504644",
      "truncated" : false,
      "retweet_count" : "0",
      "id" : "2024767818445504644",
      "created_at" : "Fri Feb 20 08:47:20 +0000 2026",
      "favorited" : false,
      "full_text" : "RT @yuki: 東京で桜が咲きました。北京的春天也来了",
      "lang" : "ja"
    }
  }
]