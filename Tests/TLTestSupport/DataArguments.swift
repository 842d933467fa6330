/// Data arguments used by more than one test target: one per format of the data-source table,
/// with every option of the format given a value other than its default. A test in TLDataTests
/// fails when a format or an option is missing here, so every consumer covers all of them.
public enum DataArgumentFixtures {
    public static let fullySpecified = [
        "mnist5k", "digits", "mnist5k,invert=yes", "digits,invert=no",
        "idx:data/mnist", "idx:data/mnist,split=test,invert=yes", "idx:img.idx,lab.idx",
        "csv:train.csv,label=first,header=yes,shape=28x28x1,scale=255,sep=semicolon,layout=nchw",
        "npy:X.npy,Y.npy,layout=flat",
        "npz:data.npz,x=images,y=targets,layout=nhwc",
        "folder:photos,size=64x48,channels=3,fit=stretch,invert=yes",
        "text:reviews.tsv,header=no,label=2,text=1,sep=tab",
    ]
}
