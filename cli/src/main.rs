fn main() {
    println!("sbcctl: under construction");
}
