window.YTD.direct_messages.part0 = [
  {
    "dmConversation" : {
      "conversationId" : "2846154391-1964312974236991488",
      "messages" : [
        {
          "messageCreate" : {
            "recipientId" : "1964312974236991488",
            "reactions" : [],
            "urls" : [],
            "text" : "Привет! Когда встречаемся?",
            "mediaUrls" : [],
            "senderId" : "2846154391",
            "id" : "2020990639995806191",
            "createdAt" : "2026-02-09T22:38:11.458Z",
            "editHistory" : []
          }
        },
        {
          "messageCreate" : {
            "recipientId" : "2846154391",
            "reactions" : [],
            "urls" : [],
            "text" : "내일 오후 세 시에 카페에서 만나요",
            "mediaUrls" : [],
            "senderId" : "1964312974236991488",
            "id" : "2020990449125622068",
            "createdAt" : "2026-02-09T22:40:25.955Z"
          }
        }
      ]
    }
  },
  {
    "dmConversation" : {
      "conversationId" : "1442698504770555906-1964312974236991488",
      "messages" : [
        {
          "messageCreate" : {
            "recipientId" : "1964312974236991488",
            "reactions" : [],
            "urls" : [],
            "text" : "",
            "mediaUrls" : [
              "https://ton.twitter.com/dm/1/photo.jpg"
            ],
            "senderId" : "1442698504770555906",
            "id" : "2017298134729429424",
            "createdAt" : "2026-01-30T18:05:29.594Z"
          }
        }
      ]
    }
  }
]